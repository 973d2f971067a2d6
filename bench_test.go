package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// BenchmarkHTTP measures requests per second over real HTTP on loopback:
// the GraphQL item and putItem paths of the real server (newServer, with
// metrics, limits and the query cache; Badger without fsync, so the figure
// is the API's cost, not the disk's), beside a bare net/http handler that
// returns a fixed JSON body, in the same run. Compare the req/s metrics:
//
//	go test -run '^$' -bench BenchmarkHTTP -benchtime 3s .
func BenchmarkHTTP(b *testing.B) {
	cfg := testConfig(b)
	cfg.Sync = false
	cfg.Introspection = false
	shoal := startTestServer(b, cfg)

	fixed := []byte(`{"data":{"item":{"id":"item-42","name":"sensor","temperature":41.9}}}`)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(fixed)
	}))
	b.Cleanup(bare.Close)

	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512}}
	post := func(b *testing.B, url string, body []byte) {
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"errors"`)) {
			b.Fatalf("status %d: %s", resp.StatusCode, out)
		}
	}

	setup := []string{
		`{"query": "mutation { createTable(input: {name: \"Bench\", partitionKey: {name: \"id\", type: S}}) { name } }"}`,
		`{"query": "mutation { putItem(input: {table: \"Bench\", item: {id: \"item-42\", name: \"sensor\", temperature: 41.9}}) { attributes } }"}`,
	}
	for _, q := range setup {
		post(b, shoal.URL+"/graphql", []byte(q))
	}
	itemBody := []byte(`{"query": "query($k: JSON!) { item(table: \"Bench\", key: $k) }", "variables": {"k": {"id": "item-42"}}}`)
	var n atomic.Int64
	putBody := func() []byte {
		return fmt.Appendf(nil, `{"query": "mutation($i: JSON!) { putItem(input: {table: \"Bench\", item: $i}) { attributes } }", "variables": {"i": {"id": "item-%d", "name": "sensor", "temperature": 41.9}}}`, n.Add(1)%10000)
	}

	run := func(name string, fn func(b *testing.B)) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					fn(b)
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
	run("bare", func(b *testing.B) { post(b, bare.URL, itemBody) })
	run("item", func(b *testing.B) { post(b, shoal.URL+"/graphql", itemBody) })
	run("putItem", func(b *testing.B) { post(b, shoal.URL+"/graphql", putBody()) })
}
