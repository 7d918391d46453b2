// Keras 3 config → the Keras 2 form the TF.js topology code reads, on hand-written configs in Keras 3's shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeConfig } from '../../src/formats/keras/config';

const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };

test('a Keras 3 functional config: policies, batch_shape, keras_history refs and single refs become Keras 2 form', () => {
  const got = normalizeConfig({
    module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional', build_config: { input_shape: null },
    config: {
      name: 'm', input_layers: ['in', 0, 0], output_layers: ['d', 0, 0],
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], dtype: 'float32', name: 'in' }, name: 'in', inbound_nodes: [] },
        {
          module: 'keras.layers', class_name: 'Dense', registered_name: null, build_config: { input_shape: [null, 4] }, name: 'd',
          config: { name: 'd', dtype: policy, units: 2, kernel_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null } },
          inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: ['in', 0, 0] } }], kwargs: { training: false } }],
        },
      ],
    },
  });
  assert.deepEqual(got, {
    class_name: 'Model',
    config: {
      name: 'm', input_layers: [['in', 0, 0]], output_layers: [['d', 0, 0]],
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', name: 'in' }, name: 'in', inbound_nodes: [] },
        { class_name: 'Dense', name: 'd', config: { name: 'd', dtype: 'float32', units: 2, kernel_initializer: { class_name: 'Zeros', config: {} } }, inbound_nodes: [[['in', 0, 0, {}]]] },
      ],
    },
  });
});

test('a Keras 3 Sequential without an InputLayer gives its first layer the built input shape', () => {
  const got = normalizeConfig({
    module: 'keras', class_name: 'Sequential', build_config: { input_shape: [null, 3] },
    config: { name: 's', layers: [{ module: 'keras.layers', class_name: 'Dense', config: { name: 'd', units: 1 }, build_config: { input_shape: [null, 3] } }] },
  }) as { config: { layers: { config: Record<string, unknown> }[] } };
  assert.deepEqual(got.config.layers[0].config.batch_input_shape, [null, 3]);
});

test('a Keras 2 config passes through unchanged', () => {
  const k2 = {
    class_name: 'Model',
    config: { name: 'm', input_layers: [['in', 0, 0]], output_layers: [['d', 0, 0]], layers: [{ class_name: 'Dense', name: 'd', config: { name: 'd', dtype: 'float32' }, inbound_nodes: [[['in', 0, 0, {}]]] }] },
  };
  assert.deepEqual(normalizeConfig(k2), k2);
});
