import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, checkFlags, parseArgs } from '../../src/cli/args';

const usage = (argv: string[], re: RegExp) => assert.throws(() => parseArgs(argv), (e: Error) => e instanceof UsageError && re.test(e.message));

test('verb, model path and every flag form', () => {
  const a = parseArgs([
    'run', 'm.onnx', '--json', '--input', 'x=a.npy', '--input=y=b.pb', '--dim', 'batch=4', '--dim=seq=0', '--ep', 'cuda, cpu',
    '--runs=20', '--out', 'o.json', '--method', 'gradcam', '--target', '3', '--save-outputs', 'outs', '--bins', '64',
  ]);
  assert.equal(a.verb, 'run');
  assert.deepEqual(a.positionals, ['m.onnx']);
  assert.equal(a.json, true);
  assert.deepEqual(a.inputs, [{ name: 'x', file: 'a.npy' }, { name: 'y', file: 'b.pb' }]);
  assert.deepEqual(a.dims, { batch: 4, seq: 0 });
  assert.deepEqual(a.eps, ['cuda', 'cpu']);
  assert.equal(a.runs, 20);
  assert.equal(a.bins, 64);
  assert.equal(a.out, 'o.json');
  assert.equal(a.method, 'gradcam');
  assert.equal(a.target, '3');
  assert.equal(a.saveOutputs, 'outs');
  assert.deepEqual([...a.given].sort(), ['bins', 'dim', 'ep', 'input', 'json', 'method', 'out', 'runs', 'save-outputs', 'target']);
});

test('flags may come before the verb; -- ends flags; -h/-v', () => {
  const a = parseArgs(['--json', 'inspect', '--', '--weird-name.onnx']);
  assert.equal(a.verb, 'inspect');
  assert.deepEqual(a.positionals, ['--weird-name.onnx']);
  assert.equal(parseArgs(['-h']).help, true);
  assert.equal(parseArgs(['-v']).version, true);
  // An input file path may itself contain '='.
  assert.deepEqual(parseArgs(['run', 'm', '--input', 'x=dir/a=b.npy']).inputs, [{ name: 'x', file: 'dir/a=b.npy' }]);
  // Without name= the file feeds the first input (name '').
  assert.deepEqual(parseArgs(['run', 'm', '--input', 'a.npy']).inputs, [{ name: '', file: 'a.npy' }]);
});

test('bad command lines are UsageErrors that name the problem', () => {
  usage(['inspect', 'm', '--frobnicate'], /unknown option --frobnicate/);
  usage(['inspect', 'm', '-x'], /unknown option -x/);
  usage(['run', 'm', '--runs'], /--runs needs a value/);
  usage(['run', 'm', '--runs', '0'], /--runs needs a whole number/);
  usage(['run', 'm', '--runs', '2.5'], /whole number/);
  usage(['stats', 'm', '--bins', 'many'], /--bins needs a whole number/);
  usage(['run', 'm', '--input', '=a.npy'], /name=value/);
  usage(['run', 'm', '--input', 'x=a', '--input', 'x=b'], /given twice/);
  usage(['run', 'm', '--dim', 'batch=-1'], /--dim batch needs a whole number/);
  usage(['run', 'm', '--ep', ','], /at least one/);
  usage(['inspect', 'm', '--json=yes'], /takes no value/);
  usage(['run', 'm', '--out='], /needs a value/);
});

test('checkFlags refuses flags the verb does not take', () => {
  const a = parseArgs(['inspect', 'm', '--json', '--runs', '3']);
  assert.throws(() => checkFlags('inspect', a, []), (e: Error) => e instanceof UsageError && /inspect does not take --runs/.test(e.message));
  assert.doesNotThrow(() => checkFlags('run', a, ['runs']));
});
