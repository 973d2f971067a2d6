package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// result is one workload run against one target.
type result struct {
	Workload     string                 `json:"workload"`
	Target       string                 `json:"target"` // shoal, http or engine
	Clients      int                    `json:"clients"`
	Seconds      float64                `json:"seconds"`
	Ops          int64                  `json:"ops"`
	Throughput   float64                `json:"ops_per_sec"`
	Latency      latency                `json:"latency_us"`
	ByKind       map[string]kindSummary `json:"by_kind,omitempty"`
	Errors       map[string]int64       `json:"errors"`
	ErrorSamples map[string]string      `json:"error_samples,omitempty"`
	Server       *serverUse             `json:"server,omitempty"`
	Fanout       *fanoutStats           `json:"fanout,omitempty"`
	// VsHTTP and VsEngine compare a shoal result with its baselines.
	VsHTTP   *ratio `json:"vs_http,omitempty"`
	VsEngine *ratio `json:"vs_engine,omitempty"`
}

// latency is a summary of a histogram, in microseconds.
type latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

type kindSummary struct {
	Ops        int64   `json:"ops"`
	Throughput float64 `json:"ops_per_sec"`
	Latency    latency `json:"latency_us"`
}

// serverUse is the Shoal process's use of the machine during a run, from
// its /metrics before and after.
type serverUse struct {
	CPUSeconds       float64 `json:"cpu_seconds"`
	CPUCores         float64 `json:"cpu_cores"` // CPU seconds per second of the run
	RSSBeforeBytes   float64 `json:"rss_before_bytes"`
	RSSAfterBytes    float64 `json:"rss_after_bytes"`
	GoroutinesBefore float64 `json:"goroutines_before"`
	GoroutinesAfter  float64 `json:"goroutines_after"`
}

// fanoutStats are the fan-out workload's own figures.
type fanoutStats struct {
	Subscribers      int     `json:"subscribers"`
	Connections      int     `json:"connections"`
	Rooms            int     `json:"rooms"`
	Ready            int64   `json:"ready"` // subscriptions live before the writes began
	TargetRate       float64 `json:"target_writes_per_sec"`
	WritesPerSec     float64 `json:"writes_per_sec"`
	Expected         int64   `json:"expected_deliveries"`
	Delivered        int64   `json:"delivered"`
	Undelivered      int64   `json:"undelivered"`
	DeliveriesPerSec float64 `json:"deliveries_per_sec"`
	SetupSeconds     float64 `json:"setup_seconds"`
	DrainSeconds     float64 `json:"drain_seconds"`
}

// ratio compares a shoal result with a baseline: Throughput is shoal's
// divided by the baseline's (0.25: a quarter of the ceiling); P50 and P99
// are shoal's latencies divided by the baseline's (4: four times slower).
type ratio struct {
	Throughput float64 `json:"throughput"`
	P50        float64 `json:"p50"`
	P99        float64 `json:"p99"`
}

func summarize(h *histogram) latency {
	us := func(v int64) float64 { return float64(v) / 1e3 }
	return latency{P50: us(h.quantile(0.50)), P90: us(h.quantile(0.90)), P99: us(h.quantile(0.99)),
		P999: us(h.quantile(0.999)), Max: us(h.max), Mean: h.mean() / 1e3}
}

func ratioOf(r, base *result) *ratio {
	if base == nil || base.Ops == 0 || r.Ops == 0 {
		return nil
	}
	tp := r.Throughput / base.Throughput
	if r.Fanout != nil && base.Fanout != nil && base.Fanout.DeliveriesPerSec > 0 {
		tp = r.Fanout.DeliveriesPerSec / base.Fanout.DeliveriesPerSec
	}
	div := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	return &ratio{Throughput: tp, P50: div(r.Latency.P50, base.Latency.P50), P99: div(r.Latency.P99, base.Latency.P99)}
}

// compare fills the ratios of every shoal result to the baselines of the
// same workload.
func compare(results []*result) {
	find := func(workload, target string) *result {
		for _, r := range results {
			if r.Workload == workload && r.Target == target {
				return r
			}
		}
		return nil
	}
	for _, r := range results {
		if r.Target == targetShoal {
			r.VsHTTP = ratioOf(r, find(r.Workload, targetHTTP))
			r.VsEngine = ratioOf(r, find(r.Workload, targetEngine))
		}
	}
}

// fmtDur prints a latency given in microseconds with three significant
// digits.
func fmtDur(us float64) string {
	d := time.Duration(us * 1e3)
	switch {
	case d == 0:
		return "0"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", us)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", us/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.1fms", us/1e3)
	}
	return fmt.Sprintf("%.2fs", us/1e6)
}

func fmtRate(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func fmtErrors(m map[string]int64) string {
	if len(m) == 0 {
		return "0"
	}
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%s:%d", c, m[c]))
	}
	return strings.Join(parts, " ")
}

func fmtRatio(r *ratio) (tp, p99 string) {
	if r == nil {
		return "", ""
	}
	return fmt.Sprintf("%.2f", r.Throughput), fmt.Sprintf("%.1f×", r.P99)
}

// writeTable prints the results as Markdown tables: the closed-loop
// workloads (operations per second and latencies), their per-operation
// breakdown, then the fan-out runs.
func writeTable(w io.Writer, results []*result) {
	var closed, fan []*result
	for _, r := range results {
		if r.Fanout != nil {
			fan = append(fan, r)
		} else {
			closed = append(closed, r)
		}
	}
	if len(closed) > 0 {
		fmt.Fprintln(w, "| workload | target | clients | ops/s | p50 | p90 | p99 | p99.9 | max | errors | ÷http ops/s | ÷engine ops/s | p99 ×http | p99 ×engine | server CPU | server RSS |")
		fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
		for _, r := range closed {
			hTP, hP99 := fmtRatio(r.VsHTTP)
			eTP, eP99 := fmtRatio(r.VsEngine)
			fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				r.Workload, r.Target, r.Clients, fmtRate(r.Throughput),
				fmtDur(r.Latency.P50), fmtDur(r.Latency.P90), fmtDur(r.Latency.P99), fmtDur(r.Latency.P999), fmtDur(r.Latency.Max),
				fmtErrors(r.Errors), hTP, eTP, hP99, eP99+" | "+fmtCPU(r.Server), fmtRSS(r.Server))
		}
		var kinds []string
		for _, r := range closed {
			if len(r.ByKind) == 0 {
				continue
			}
			names := make([]string, 0, len(r.ByKind))
			for k := range r.ByKind {
				names = append(names, k)
			}
			slices.Sort(names)
			for _, k := range names {
				s := r.ByKind[k]
				kinds = append(kinds, fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |", r.Workload, r.Target, k, fmtRate(s.Throughput),
					fmtDur(s.Latency.P50), fmtDur(s.Latency.P90), fmtDur(s.Latency.P99), fmtDur(s.Latency.Max)))
			}
		}
		if len(kinds) > 0 {
			fmt.Fprintln(w)
			fmt.Fprintln(w, "| workload | target | operation | ops/s | p50 | p90 | p99 | max |")
			fmt.Fprintln(w, "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
			for _, k := range kinds {
				fmt.Fprintln(w, k)
			}
		}
	}
	if len(fan) > 0 {
		if len(closed) > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "| fanout | target | subs | conns | rooms | writes/s (asked) | deliveries/s | delivered | delivery p50 | p90 | p99 | p99.9 | max | write p50 | write p99 | errors | ÷http deliveries/s | ÷engine deliveries/s | server CPU | server RSS |")
		fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
		for _, r := range fan {
			f := r.Fanout
			hTP, _ := fmtRatio(r.VsHTTP)
			eTP, _ := fmtRatio(r.VsEngine)
			wr := r.ByKind["write"].Latency
			fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %s (%s) | %s | %d/%d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				r.Workload, r.Target, f.Subscribers, f.Connections, f.Rooms, fmtRate(f.WritesPerSec), fmtRate(f.TargetRate),
				fmtRate(f.DeliveriesPerSec), f.Delivered, f.Expected,
				fmtDur(r.Latency.P50), fmtDur(r.Latency.P90), fmtDur(r.Latency.P99), fmtDur(r.Latency.P999), fmtDur(r.Latency.Max),
				fmtDur(wr.P50), fmtDur(wr.P99), fmtErrors(r.Errors), hTP, eTP, fmtCPU(r.Server), fmtRSS(r.Server))
		}
	}
	var samples []string
	for _, r := range results {
		for c, m := range r.ErrorSamples {
			samples = append(samples, fmt.Sprintf("- %s/%s %s: %s", r.Workload, r.Target, c, truncate(m, 300)))
		}
	}
	if len(samples) > 0 {
		slices.Sort(samples)
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Errors (one message per code):")
		for _, s := range samples {
			fmt.Fprintln(w, s)
		}
	}
}

func fmtCPU(s *serverUse) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("%.2f cores", s.CPUCores)
}

func fmtRSS(s *serverUse) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("%.0f→%.0f MiB", s.RSSBeforeBytes/(1<<20), s.RSSAfterBytes/(1<<20))
}

// report is the JSON form of a run.
type report struct {
	Machine machine   `json:"machine"`
	Config  any       `json:"config"`
	Results []*result `json:"results"`
}

func writeJSON(w io.Writer, rep report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
