package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is the tool's configuration, from flags over SHOAL_* variables.
type config struct {
	URL        string        `json:"url"`
	Token      string        `json:"-"`
	Workloads  []string      `json:"workloads"`
	Clients    int           `json:"clients"`
	Duration   time.Duration `json:"duration"`
	Count      int64         `json:"count"`
	Items      int           `json:"items"`
	ValueSize  int           `json:"value_size"`
	Dist       string        `json:"dist"`
	Theta      float64       `json:"theta"`
	Reads      float64       `json:"reads"`
	Page       int           `json:"page"`
	Players    int           `json:"players"`
	SessionTTL time.Duration `json:"session_ttl"`

	Subscribers  int           `json:"subscribers"`
	Conns        int           `json:"conns"`
	Rooms        int           `json:"rooms"`
	Rate         float64       `json:"rate"`
	Drain        time.Duration `json:"drain"`
	ReadyTimeout time.Duration `json:"ready_timeout"`

	Targets    []string      `json:"targets"`
	Sync       bool          `json:"sync"`
	JSON       bool          `json:"-"`
	JSONOut    string        `json:"-"`
	Progress   time.Duration `json:"-"`
	Seed       uint64        `json:"seed"`
	CPUProfile string        `json:"-"`
	Keep       bool          `json:"-"`
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("shoal-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shoal-bench [flags]   (see BENCHMARKS.md)")
		fs.PrintDefaults()
	}
	def := func(env, fallback string) string {
		if v := getenv(env); v != "" {
			return v
		}
		return fallback
	}
	var workloads, targets string
	var baseline bool
	fs.StringVar(&c.URL, "url", def("SHOAL_URL", "http://127.0.0.1:8080"), "the Shoal server's base URL (SHOAL_URL)")
	fs.StringVar(&c.Token, "token", getenv("SHOAL_TOKEN"), "API key, sent as Authorization: Bearer <token> and in connection_init (SHOAL_TOKEN)")
	fs.StringVar(&workloads, "workload", "all", "comma-separated workloads, each name[:uniform|:zipf]: "+strings.Join(workloadNames, ", ")+", or all")
	fs.IntVar(&c.Clients, "c", 16, "concurrent clients (fanout: concurrent writers)")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "measured time of each workload on each target")
	fs.Int64Var(&c.Count, "n", 0, "stop each run after this many operations (0: duration only)")
	fs.IntVar(&c.Items, "items", 10000, "items seeded (get, put, update, mixed, query; players of leaderboard)")
	fs.IntVar(&c.ValueSize, "value-size", 100, "payload bytes per item")
	fs.StringVar(&c.Dist, "dist", "", "key distribution, uniform or zipf (default: zipf for mixed, uniform otherwise)")
	fs.Float64Var(&c.Theta, "theta", 0.99, "Zipfian exponent")
	fs.Float64Var(&c.Reads, "reads", -1, "fraction of reads (default: 0.95 for mixed, 0.5 for leaderboard)")
	fs.IntVar(&c.Page, "page", 100, "items per query page and per queried partition")
	fs.IntVar(&c.Players, "players", 1000, "players of the session workload")
	fs.DurationVar(&c.SessionTTL, "session-ttl", 5*time.Second, "session workload: time to live of a session")
	fs.IntVar(&c.Subscribers, "subscribers", 1000, "fanout: subscriptions")
	fs.IntVar(&c.Conns, "conns", 0, "fanout: WebSocket connections carrying them (default: one per 100 subscriptions)")
	fs.IntVar(&c.Rooms, "rooms", 0, "fanout: partitions the subscriptions filter on (default: one per 10 subscriptions)")
	fs.Float64Var(&c.Rate, "rate", 1000, "fanout: writes per second")
	fs.DurationVar(&c.Drain, "drain", 10*time.Second, "fanout: longest wait for late deliveries after the writes stop")
	fs.DurationVar(&c.ReadyTimeout, "ready-timeout", 60*time.Second, "fanout: longest wait for every subscription to be live")
	fs.BoolVar(&baseline, "baseline", false, "also run each workload against a bare net/http handler and the in-process engine")
	fs.StringVar(&targets, "targets", "", "comma-separated targets: shoal, http, engine (overrides -baseline)")
	fs.BoolVar(&c.Sync, "sync", true, "the engine baseline fsyncs writes; match the server's -sync")
	fs.BoolVar(&c.JSON, "json", false, "print the results as JSON instead of tables")
	fs.StringVar(&c.JSONOut, "json-out", "", "also write the results as JSON to this file")
	fs.DurationVar(&c.Progress, "progress", 2*time.Second, "interval of the progress line on stderr (0: none)")
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write the tool's CPU profile here (with -targets engine, a profile of the engine)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the benchmark tables instead of deleting them")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if workloads == "all" {
		workloads = "get,get:zipf,put,update,query,leaderboard,mixed,session,fanout"
	}
	c.Workloads = strings.Split(workloads, ",")
	switch {
	case targets != "":
		c.Targets = strings.Split(targets, ",")
	case baseline:
		c.Targets = []string{targetShoal, targetHTTP, targetEngine}
	default:
		c.Targets = []string{targetShoal}
	}
	return c, c.validate()
}

func (c *config) validate() error {
	for _, t := range c.Targets {
		if t != targetShoal && t != targetHTTP && t != targetEngine {
			return fmt.Errorf("-targets: unknown target %q", t)
		}
	}
	for _, w := range c.Workloads {
		name, dist, _ := strings.Cut(w, ":")
		if name != "fanout" {
			if _, err := newWorkload(name, params{items: 1, page: 1}); err != nil {
				return err
			}
		}
		if dist != "" && dist != "uniform" && dist != "zipf" {
			return fmt.Errorf("workload %s: distribution must be uniform or zipf", w)
		}
	}
	switch {
	case c.Dist != "" && c.Dist != "uniform" && c.Dist != "zipf":
		return errors.New("-dist must be uniform or zipf")
	case c.Clients <= 0 || c.Items <= 0 || c.Page <= 0 || c.Players <= 0 || c.ValueSize < 0:
		return errors.New("-c, -items, -page and -players must be positive")
	case c.Duration <= 0:
		return errors.New("-duration must be positive")
	case c.Theta <= 0 || c.Theta >= 1:
		return errors.New("-theta must be in (0, 1)")
	case c.Reads > 1:
		return errors.New("-reads must be at most 1")
	case c.Subscribers <= 0 || c.Rate <= 0 || c.Conns < 0 || c.Rooms < 0:
		return errors.New("-subscribers and -rate must be positive")
	}
	if c.Conns == 0 {
		c.Conns = max(1, (c.Subscribers+99)/100)
	}
	if c.Rooms == 0 {
		c.Rooms = max(1, c.Subscribers/10)
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url %q: want http://host:port", c.URL)
	}
	c.URL = strings.TrimSuffix(c.URL, "/")
	return nil
}

// run is the tool: it returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "shoal-bench:", err)
		return 2
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			fmt.Fprintln(stderr, "shoal-bench:", err)
			return 1
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "shoal-bench:", err)
			return 1
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	results, err := runAll(ctx, cfg, stderr)
	compare(results)
	rep := report{Machine: describeMachine(), Config: cfg, Results: results}
	if cfg.JSON {
		if err := writeJSON(stdout, rep); err != nil {
			fmt.Fprintln(stderr, "shoal-bench:", err)
			return 1
		}
	} else {
		writeTable(stdout, results)
	}
	if cfg.JSONOut != "" {
		f, ferr := os.Create(cfg.JSONOut)
		if ferr == nil {
			ferr = writeJSON(f, rep)
			if cerr := f.Close(); ferr == nil {
				ferr = cerr
			}
		}
		if ferr != nil {
			fmt.Fprintln(stderr, "shoal-bench:", ferr)
			return 1
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "shoal-bench:", err)
		return 1
	}
	return 0
}

// runAll runs every workload against every target, shoal first (the bare
// HTTP baseline answers with the bodies Shoal gave).
func runAll(ctx context.Context, cfg config, log io.Writer) ([]*result, error) {
	samples := &sync.Map{}
	shoal := &shoalBackend{c: &gqlClient{http: newHTTPClient(cfg.Clients), url: cfg.URL + "/graphql", token: cfg.Token}, samples: samples}
	var bare *bareServer
	defer func() {
		if bare != nil {
			bare.close()
		}
	}()
	suffix := "_" + strconv.FormatInt(time.Now().UnixNano()%(1<<40), 36)
	var results []*result
	for _, spec := range cfg.Workloads {
		name, dist, _ := strings.Cut(spec, ":")
		for _, target := range cfg.Targets {
			if ctx.Err() != nil {
				return results, ctx.Err()
			}
			var b backend
			switch target {
			case targetShoal:
				b = shoal
			case targetHTTP:
				if bare == nil {
					var err error
					if bare, err = startBareServer(samples); err != nil {
						return results, err
					}
				}
				b = newBareBackend(bare, cfg.Clients)
			case targetEngine:
				eb, err := openEngineBackend(cfg.Sync)
				if err != nil {
					return results, fmt.Errorf("open engine: %w", err)
				}
				b = eb
			}
			fmt.Fprintf(log, "%s on %s: seeding\n", spec, target)
			r, err := runOne(ctx, cfg, b, name, dist, suffix)
			if target == targetEngine {
				b.close()
			}
			if err != nil {
				return results, fmt.Errorf("%s on %s: %w", spec, target, err)
			}
			r.Workload = spec
			if name != "fanout" && !strings.Contains(spec, ":") && (name == "get" || name == "update" || name == "put" || name == "mixed" || name == "leaderboard") {
				r.Workload = name + ":" + distOf(cfg, name, dist)
			}
			results = append(results, r)
			fmt.Fprintf(log, "%s on %s: %.0f ops/s, p50 %s, p99 %s, errors %s\n", spec, target, r.Throughput,
				fmtDur(r.Latency.P50), fmtDur(r.Latency.P99), fmtErrors(r.Errors))
		}
	}
	return results, nil
}

func distOf(cfg config, name, dist string) string {
	switch {
	case dist != "":
		return dist
	case cfg.Dist != "":
		return cfg.Dist
	case name == "mixed":
		return "zipf"
	}
	return "uniform"
}

// runOne seeds, runs and tears down one workload on one target, with the
// server's /metrics read before and after the measured run.
func runOne(ctx context.Context, cfg config, b backend, name, dist, suffix string) (*result, error) {
	reads := cfg.Reads
	if reads < 0 {
		reads = 0.5
		if name == "mixed" {
			reads = 0.95
		}
	}
	p := params{suffix: suffix, items: cfg.Items, valueSize: cfg.ValueSize, dist: distOf(cfg, name, dist), theta: cfg.Theta,
		reads: reads, page: cfg.Page, players: cfg.Players, sessionTTL: cfg.SessionTTL}
	o := runOptions{clients: cfg.Clients, duration: cfg.Duration, count: cfg.Count, seed: cfg.Seed,
		progress: cfg.Progress, log: os.Stderr, label: name + "/" + b.target()}
	if dist != "" {
		o.label = name + ":" + dist + "/" + b.target()
	}

	var w workload
	if name != "fanout" {
		var err error
		if w, err = newWorkload(name, p); err != nil {
			return nil, err
		}
		if err := runStages(ctx, b, w.setup(), cfg.Clients); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}
	metricsURL := cfg.URL + "/metrics"
	scrape := b.target() == targetShoal
	var before serverStats
	if scrape {
		var err error
		if before, err = scrapeMetrics(ctx, newHTTPClient(1), metricsURL, cfg.Token); err != nil {
			fmt.Fprintf(os.Stderr, "  (no server metrics: %v)\n", err)
			scrape = false
		}
	}
	t0 := time.Now()
	var res *result
	if name == "fanout" {
		fo := fanoutOptions{subscribers: cfg.Subscribers, conns: cfg.Conns, rooms: cfg.Rooms, rate: cfg.Rate, drain: cfg.Drain, ready: cfg.ReadyTimeout}
		wsURL := strings.Replace(cfg.URL, "http", "ws", 1) + "/graphql"
		if bb, ok := b.(*bareBackend); ok {
			wsURL = strings.Replace(bb.base, "http", "ws", 1)
		}
		var err error
		if res, err = runFanout(ctx, b, wsURL, cfg.Token, "bench_fanout"+suffix, fo, o); err != nil {
			return nil, err
		}
	} else {
		res = runClosed(ctx, b, w, o)
	}
	if scrape {
		after, err := scrapeMetrics(ctx, newHTTPClient(1), metricsURL, cfg.Token)
		if err == nil {
			cpu := after.CPUSeconds - before.CPUSeconds
			res.Server = &serverUse{CPUSeconds: cpu, CPUCores: cpu / time.Since(t0).Seconds(),
				RSSBeforeBytes: before.RSSBytes, RSSAfterBytes: after.RSSBytes,
				GoroutinesBefore: before.Goroutines, GoroutinesAfter: after.Goroutines}
		}
	}
	if w != nil && !cfg.Keep {
		if err := runStages(context.WithoutCancel(ctx), b, [][]request{w.teardown()}, 1); err != nil {
			return res, fmt.Errorf("teardown: %w", err)
		}
	}
	return res, nil
}

// machine describes the computer the benchmark ran on.
type machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	MemTotal  string `json:"mem_total"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Time      string `json:"time"`
}

func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		Time: time.Now().UTC().Format(time.RFC3339)}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	m.MemTotal = procField("/proc/meminfo", "MemTotal")
	return m
}

func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
