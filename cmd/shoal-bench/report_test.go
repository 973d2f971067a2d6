package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func sampleResults() []*result {
	lat := func(p50 float64) latency {
		return latency{P50: p50, P90: 2 * p50, P99: 4 * p50, P999: 8 * p50, Max: 10 * p50, Mean: 1.5 * p50}
	}
	rs := []*result{
		{Workload: "get:uniform", Target: targetShoal, Clients: 16, Seconds: 10, Ops: 50000, Throughput: 5000, Latency: lat(800),
			Errors: map[string]int64{"THROTTLED": 2, "NETWORK": 1}, ErrorSamples: map[string]string{"THROTTLED": "THROTTLED: slow down"},
			Server: &serverUse{CPUSeconds: 12, CPUCores: 1.2, RSSBeforeBytes: 50 << 20, RSSAfterBytes: 80 << 20}},
		{Workload: "get:uniform", Target: targetHTTP, Clients: 16, Seconds: 10, Ops: 200000, Throughput: 20000, Latency: lat(200), Errors: map[string]int64{}},
		{Workload: "get:uniform", Target: targetEngine, Clients: 16, Seconds: 10, Ops: 1000000, Throughput: 100000, Latency: lat(10), Errors: map[string]int64{}},
		{Workload: "leaderboard:uniform", Target: targetShoal, Clients: 16, Seconds: 10, Ops: 1000, Throughput: 100, Latency: lat(5000),
			Errors: map[string]int64{}, ByKind: map[string]kindSummary{"top10": {Ops: 500, Throughput: 50, Latency: lat(4000)}, "score": {Ops: 500, Throughput: 50, Latency: lat(6000)}}},
		{Workload: "fanout", Target: targetShoal, Clients: 100, Seconds: 20, Ops: 20000, Throughput: 1000, Latency: lat(3000), Errors: map[string]int64{},
			ByKind: map[string]kindSummary{"write": {Ops: 20000, Throughput: 1000, Latency: lat(900)}},
			Fanout: &fanoutStats{Subscribers: 10000, Connections: 100, Rooms: 1000, TargetRate: 1000, WritesPerSec: 1000, Expected: 200000, Delivered: 199000, Undelivered: 1000, DeliveriesPerSec: 9500},
		},
		{Workload: "fanout", Target: targetEngine, Clients: 100, Seconds: 20, Ops: 20000, Throughput: 1000, Latency: lat(1000), Errors: map[string]int64{},
			Fanout: &fanoutStats{Subscribers: 10000, Rooms: 1000, TargetRate: 1000, WritesPerSec: 1000, Expected: 200000, Delivered: 200000, DeliveriesPerSec: 10000}},
	}
	compare(rs)
	return rs
}

func TestCompare(t *testing.T) {
	rs := sampleResults()
	get := rs[0]
	if get.VsHTTP == nil || get.VsEngine == nil {
		t.Fatal("shoal result without ratios")
	}
	if get.VsHTTP.Throughput != 0.25 || get.VsEngine.Throughput != 0.05 || get.VsHTTP.P99 != 4 || get.VsEngine.P50 != 80 {
		t.Errorf("ratios = %+v, %+v", *get.VsHTTP, *get.VsEngine)
	}
	if rs[1].VsHTTP != nil || rs[3].VsHTTP != nil {
		t.Error("ratios on a baseline, or without a baseline")
	}
	if f := rs[4].VsEngine; f == nil || f.Throughput != 0.95 || f.P50 != 3 {
		t.Errorf("fanout ratio = %+v, want deliveries 0.95 and p50 3×", f)
	}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	writeTable(&buf, sampleResults())
	out := buf.String()
	for _, want := range []string{
		"| get:uniform | shoal | 16 | 5000 | 800µs | 1.60ms | 3.20ms | 6.40ms | 8.00ms | NETWORK:1 THROTTLED:2 | 0.25 | 0.05 | 4.0× | 80.0× | 1.20 cores | 50→80 MiB |",
		"| get:uniform | engine | 16 | 100000 | 10µs |",
		"| leaderboard:uniform | shoal | score | 50.0 | 6.00ms |",
		"| fanout | shoal | 10000 | 100 | 1000 | 1000 (1000) | 9500 | 199000/200000 | 3.00ms |",
		"- get:uniform/shoal THROTTLED: THROTTLED: slow down",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// Every row of a table has as many cells as its header.
	for _, block := range strings.Split(out, "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if !strings.HasPrefix(lines[0], "|") {
			continue
		}
		cells := strings.Count(lines[0], "|")
		for _, l := range lines[1:] {
			if strings.Count(l, "|") != cells {
				t.Errorf("row has %d separators, header %d: %s", strings.Count(l, "|"), cells, l)
			}
		}
	}
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	cfg := config{URL: "http://127.0.0.1:1", Token: "secret", Workloads: []string{"get"}}
	if err := writeJSON(&buf, report{Machine: describeMachine(), Config: cfg, Results: sampleResults()}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "secret") {
		t.Error("the token leaked into the JSON report")
	}
	var back struct {
		Machine machine `json:"machine"`
		Results []struct {
			Workload   string             `json:"workload"`
			Target     string             `json:"target"`
			Throughput float64            `json:"ops_per_sec"`
			Latency    map[string]float64 `json:"latency_us"`
			Errors     map[string]int64   `json:"errors"`
			VsEngine   *ratio             `json:"vs_engine"`
			Fanout     *fanoutStats       `json:"fanout"`
		} `json:"results"`
	}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Machine.CPUs == 0 || len(back.Results) != 6 {
		t.Fatalf("decoded %+v", back)
	}
	r := back.Results[0]
	if r.Workload != "get:uniform" || r.Target != "shoal" || r.Throughput != 5000 || r.Latency["p99_9"] != 6400 || r.Errors["THROTTLED"] != 2 || r.VsEngine.Throughput != 0.05 {
		t.Errorf("result 0 = %+v", r)
	}
	if f := back.Results[4].Fanout; f == nil || f.Subscribers != 10000 || f.Undelivered != 1000 {
		t.Errorf("fanout = %+v", f)
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 42
go_gc_duration_seconds{quantile="0"} 1.2e-05
process_cpu_seconds_total 12.34
process_resident_memory_bytes 1.23456e+08
`
	s, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if s.Goroutines != 42 || s.CPUSeconds != 12.34 || s.RSSBytes != 1.23456e8 {
		t.Errorf("parsed %+v", s)
	}
	if _, err := parseMetrics(strings.NewReader("other 1\n")); err == nil {
		t.Error("no process metrics: want an error")
	}
}

func TestCheckResponse(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		code   string
	}{
		{200, `{"data":{"item":null}}`, ""},
		{200, `{"errors":[{"message":"no","extensions":{"code":"NOT_FOUND"}}],"data":null}`, "NOT_FOUND"},
		{200, `{"errors":[{"message":"parse"}]}`, "GRAPHQL"},
		{413, `{"errors":[{"message":"big","extensions":{"code":"REQUEST_TOO_LARGE"}}]}`, "REQUEST_TOO_LARGE"},
		{502, `bad gateway`, "HTTP_502"},
	} {
		err := checkResponse(c.status, []byte(c.body))
		if got := ""; err != nil {
			got = codeOf(err)
			if got != c.code {
				t.Errorf("%d %s: code %q, want %q", c.status, c.body, got, c.code)
			}
		} else if c.code != "" {
			t.Errorf("%d %s: no error, want %s", c.status, c.body, c.code)
		}
	}
}

func TestParseFlags(t *testing.T) {
	env := map[string]string{"SHOAL_TOKEN": "k1", "SHOAL_URL": "http://127.0.0.1:9/"}
	cfg, err := parseFlags([]string{"-workload", "fanout", "-subscribers", "10000", "-rate", "1000", "-duration", "20s", "-baseline"},
		func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Token != "k1" || cfg.URL != "http://127.0.0.1:9" || cfg.Conns != 100 || cfg.Rooms != 1000 || len(cfg.Targets) != 3 {
		t.Errorf("cfg = %+v", cfg)
	}
	cfg, err = parseFlags([]string{"-token", "k2"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil || cfg.Token != "k2" || len(cfg.Workloads) != 9 {
		t.Errorf("flag over env: %v %+v", err, cfg)
	}
	for _, bad := range [][]string{{"-workload", "nope"}, {"-workload", "get:pareto"}, {"-targets", "mysql"}, {"-theta", "1.5"}, {"-url", "ftp://x"}} {
		if _, err := parseFlags(bad, func(string) string { return "" }, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}
