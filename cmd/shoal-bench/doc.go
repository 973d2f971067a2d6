// Command shoal-bench is Shoal's load generator. It drives a running
// server over real HTTP and WebSocket connections with concurrent clients,
// for a duration or a number of operations, and reports throughput,
// latency percentiles (p50, p90, p99, p99.9, max, from a log-bucketed
// histogram with 0.8 % precision), errors by extensions.code, and the
// server's CPU, memory and goroutines from its /metrics.
//
// With -baseline, every workload also runs against two ceilings in the
// same invocation: a bare net/http handler started by the tool on
// 127.0.0.1:0, which answers the same requests with the bodies Shoal gave
// (the network-and-HTTP ceiling; for fanout it also speaks just enough
// graphql-transport-ws to push each write to its subscribers), and the
// engine opened in-process on a temporary directory and called with the
// same operations as Go calls (the storage ceiling). Shoal's figures are
// then printed as ratios to them.
//
// # Workloads
//
// Each seeds its own table (named with a per-run suffix, deleted at the
// end unless -keep):
//
//   - get: item by key, uniform keys (get:zipf for Zipfian, θ = 0.99)
//   - put: putItem over the seeded keys
//   - update: updateItem incrementing a counter
//   - query: a page of -page (100) items of one partition
//   - leaderboard: the top 10 of a GSI (every player on one board, sorted
//     by score) while scores are incremented, 50/50
//   - mixed: 95 % gets, 5 % puts, Zipfian keys (YCSB workload B)
//   - session: game sessions: put with a TTL, updated while live, listed by
//     player through a GSI, expired by the TTL sweeper
//   - fanout: -subscribers itemChanges subscriptions over -conns WebSocket
//     connections, filtered on -rooms partitions; -rate writes a second,
//     each carrying its send time, so every subscriber measures the delay
//     from the write to its delivery
//
// # Usage
//
//	shoal-bench -url http://127.0.0.1:8080 -workload get,get:zipf -c 16 -duration 10s -baseline
//	shoal-bench -workload fanout -subscribers 10000 -rate 1000 -duration 20s
//	shoal-bench -workload mixed -json > mixed.json
//	shoal-bench -workload fanout -targets engine -cpuprofile engine.pprof   # profile the engine side
//
// -token (or SHOAL_TOKEN) is sent as "Authorization: Bearer <token>" with
// every request and in the WebSocket connection_init payload. bench/run.sh
// builds the server and the tool, starts the server on a temporary
// directory and runs every workload; BENCHMARKS.md has the latest figures.
package main
