// atomicperf as an ES module: the CommonJS package (index.js) with every export named, so that
// `import { registry, Counter } from 'atomicperf'` works (Node cannot see names that index.js
// assigns at run time). Both forms share one instance: the same classes, the same registry.
// test/esm.test.js checks that these names are exactly Object.keys(require('atomicperf')).
import atomicperf from './index.js'

export const {
  Counter,
  Gauge,
  Histogram,
  benchIdentity,
  MinMax,
  Timer,
  NativeHistogram,
  Summary,
  RateTracker,
  ThroughputWindow,
  AsyncRecorder,
  ShardedMap,
  Ledger,
  SnapshotCell,
  OnceMap,
  CancellationToken,
  Info,
  Enum,
  Registry,
  registry,
  negotiate,
  collectDefaultMetrics,
  SharedRegistry,
  Pushgateway,
  bench,
} = atomicperf

export default atomicperf
