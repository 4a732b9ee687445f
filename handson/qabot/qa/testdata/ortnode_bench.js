// The baseline of the worker benchmark (qa/bench_test.go): the same model file and the
// same token ids run through onnxruntime-node, the runtime's own JavaScript binding.
// Argument: a JSON file {model, ids, threads}. Then each line on stdin is a number N:
// the script runs N inferences and prints one JSON line {"mean_ns": ...}. The Go side
// alternates rounds with its own, so both see the same machine load.
'use strict';
const fs = require('fs');
const readline = require('readline');
const ort = require('onnxruntime-node');

async function main() {
  const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const session = await ort.InferenceSession.create(input.model, {
    intraOpNumThreads: input.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const n = input.ids.length;
  const run = async () => {
    const ids = new ort.Tensor('int64', BigInt64Array.from(input.ids.map(BigInt)), [1, n]);
    const mask = new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
    const out = await session.run({ input_ids: ids, attention_mask: mask });
    if (out.start_logits.data.length !== n || out.end_logits.data.length !== n) {
      throw new Error('unexpected output shape');
    }
  };
  console.log(JSON.stringify({ ready: true }));
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const iterations = Number(line);
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await run();
    const elapsed = process.hrtime.bigint() - start;
    console.log(JSON.stringify({ mean_ns: Number(elapsed) / iterations }));
  }
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
