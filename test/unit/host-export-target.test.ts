// The host's checks on a graph export from the (untrusted) webview, its default save path, and the refused targets;
// plus the wire validator in front of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { defaultExportPath, exportBytes, targetProblem } from '../../src/host/export-target';
import { MAX_EXPORT_BYTES, webviewValidators } from '../../src/protocol/webview';

/** A real 1×1 PNG (signature, IHDR, IDAT, IEND; CRCs are not checked here). */
function png(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return Buffer.concat([len, Buffer.from(type), data, Buffer.alloc(4)]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.from([0, 255, 0, 0]))), chunk('IEND', Buffer.alloc(0))]);
}

const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';

test('valid SVG and PNG exports give the exact bytes to write', () => {
  const s = exportBytes({ kind: 'svg', fileName: 'net-graph.svg', data: svg });
  assert.ok('bytes' in s);
  assert.equal(Buffer.from(s.bytes).toString('utf8'), svg);
  const bytes = png();
  const p = exportBytes({ kind: 'png', fileName: 'net-graph.PNG', data: bytes.toString('base64') });
  assert.ok('bytes' in p);
  assert.deepEqual(Buffer.from(p.bytes), bytes);
});

test('bad names, wrong extensions, wrong content and oversized data are refused with one line', () => {
  const cases: [Parameters<typeof exportBytes>[0], RegExp][] = [
    [{ kind: 'svg', fileName: '../evil.svg', data: svg }, /not a plain file name/],
    [{ kind: 'svg', fileName: 'a/b.svg', data: svg }, /not a plain file name/],
    [{ kind: 'svg', fileName: 'C:\\x.svg', data: svg }, /not a plain file name/],
    [{ kind: 'svg', fileName: '.bashrc.svg', data: svg }, /not a plain file name/],
    [{ kind: 'svg', fileName: '', data: svg }, /not a plain file name/],
    [{ kind: 'svg', fileName: 'graph.png', data: svg }, /must end in \.svg/],
    [{ kind: 'png', fileName: 'graph.svg', data: png().toString('base64') }, /must end in \.png/],
    [{ kind: 'svg', fileName: 'g.svg', data: '<script>alert(1)</script>' }, /not an SVG document/],
    [{ kind: 'png', fileName: 'g.png', data: 'not base64!' }, /not base64/],
    [{ kind: 'png', fileName: 'g.png', data: Buffer.from('GIF89a....').toString('base64') }, /not a PNG image/],
    [{ kind: 'svg', fileName: 'g.svg', data: `<svg>${'x'.repeat(MAX_EXPORT_BYTES)}</svg>` }, /over the 20971520-byte export limit/],
  ];
  for (const [p, re] of cases) {
    const r = exportBytes(p);
    assert.ok('problem' in r, p.fileName);
    assert.match(r.problem, re);
    assert.doesNotMatch(r.problem, /\n/);
  }
});

test('the wire validator refuses malformed saveExport params before the host sees them', () => {
  const v = webviewValidators.saveExport;
  assert.equal(v({ kind: 'svg', fileName: 'g.svg', data: svg }, 'params'), undefined);
  assert.match(v({ kind: 'pdf', fileName: 'g.pdf', data: svg }, 'params') ?? '', /kind must be one of svg, png/);
  assert.match(v({ kind: 'svg', fileName: 'g.svg', data: svg, path: '/etc/passwd' }, 'params') ?? '', /unexpected field "path"/);
  assert.match(v({ kind: 'svg', fileName: 'x'.repeat(300), data: svg }, 'params') ?? '', /fileName/);
  assert.match(v({ kind: 'png', fileName: 'g.png', data: 'A'.repeat(Math.ceil(MAX_EXPORT_BYTES / 3) * 4 + 4) }, 'params') ?? '', /data must be a string of at most/);
});

test('default path: <model>-graph.<ext> next to the model', () => {
  assert.equal(defaultExportPath('/work/models/resnet50.onnx', 'svg'), '/work/models/resnet50-graph.svg');
  assert.equal(defaultExportPath('/work/tfjs/model.json', 'png'), '/work/tfjs/model-graph.png');
  assert.equal(defaultExportPath('/m/archive.v2.onnx', 'png'), '/m/archive.v2-graph.png');
});

test('never the model itself, never inside an extension folder', () => {
  const roots = ['/home/u/.vscode/extensions/acme.model-inspector-0.1.0', '/opt/ext/other'];
  assert.equal(targetProblem('/work/m/net-graph.svg', '/work/m/net.onnx', roots), undefined);
  assert.match(targetProblem('/work/m/net.onnx', '/work/m/net.onnx', roots) ?? '', /model file itself/);
  assert.match(targetProblem('/work/m/NET.ONNX', '/work/m/net.onnx', roots) ?? '', /model file itself/);
  assert.match(targetProblem('/home/u/.vscode/extensions/acme.model-inspector-0.1.0/dist/x.svg', '/work/m/net.onnx', roots) ?? '', /extension folder/);
  assert.match(targetProblem('/opt/ext/other/x.png', undefined, roots) ?? '', /extension folder/);
  assert.match(targetProblem('/home/v/.vscode-server/extensions/any/x.svg', '/work/m/net.onnx', []) ?? '', /extension folder/);
  assert.equal(targetProblem('/opt/ext/other-sibling/x.png', undefined, roots), undefined, 'a sibling folder with the same prefix is fine');
});
