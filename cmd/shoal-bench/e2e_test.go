package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startShoal builds the server (or takes SHOAL_BENCH_SERVER, a built
// binary), starts it on a loopback port with a temporary data directory,
// and returns its base URL. The server is stopped by t.Cleanup.
func startShoal(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := os.Getenv("SHOAL_BENCH_SERVER")
	if bin == "" {
		bin = filepath.Join(dir, "shoal")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir = filepath.Join("..", "..")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build the server: %v\n%s", err, out)
		}
	}
	args := []string{"-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "data"), "-sync=false", "-log-format", "json", "-playground=false"}
	help, _ := exec.Command(bin, "-h").CombinedOutput()
	if bytes.Contains(help, []byte("-insecure-dev")) {
		args = append(args, "-insecure-dev")
	}
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "shoal listening" {
				addr <- line.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-exited:
		t.Fatal("the server exited before listening")
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start listening within 30 s")
	}
	return ""
}

// TestEndToEnd runs every workload for about a second with small sizes
// against a real server and both baselines, and checks that each ran
// without errors.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server")
	}
	url := startShoal(t)
	token := os.Getenv("SHOAL_TOKEN")

	// A server that wants credentials the test cannot have is not the
	// tool's failure: say so and stop.
	probe := &gqlClient{http: newHTTPClient(1), url: url + "/graphql", token: token}
	if _, err := probe.post(context.Background(), gqlBody(`{ tables(limit: 1) { cursor } }`, nil)); err != nil {
		if codeOf(err) == "ACCESS_DENIED" && token == "" {
			t.Skipf("the server requires authentication and has no -insecure-dev flag; set SHOAL_TOKEN: %v", err)
		}
		t.Fatalf("probe: %v", err)
	}

	out := filepath.Join(t.TempDir(), "results.json")
	var stdout, stderr bytes.Buffer
	args := []string{"-url", url, "-workload", "all", "-baseline", "-sync=false", "-duration", "1s", "-c", "4",
		"-items", "300", "-page", "20", "-players", "20", "-session-ttl", "2s",
		"-subscribers", "60", "-conns", "3", "-rooms", "6", "-rate", "100", "-drain", "5s", "-ready-timeout", "20s",
		"-progress", "0", "-json-out", out}
	if code := run(context.Background(), args, os.Getenv, &stdout, &stderr); code != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	t.Logf("\n%s", stdout.String())

	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []result `json:"results"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rep.Results {
		name := r.Workload + "/" + r.Target
		seen[strings.Split(r.Workload, ":")[0]] = true
		if len(r.Errors) > 0 {
			t.Errorf("%s: errors %v %v", name, r.Errors, r.ErrorSamples)
		}
		if r.Ops == 0 || r.Throughput <= 0 {
			t.Errorf("%s: no throughput (%d ops)", name, r.Ops)
		}
		if r.Target == targetShoal && (r.Server == nil || r.VsHTTP == nil || r.VsEngine == nil) {
			t.Errorf("%s: missing server figures or ratios", name)
		}
		if r.Workload == "fanout" && (r.Fanout == nil || r.Fanout.Delivered == 0 || r.Fanout.Ready != 60) {
			t.Errorf("%s: fanout figures %+v", name, r.Fanout)
		}
	}
	for _, w := range workloadNames {
		if !seen[w] {
			t.Errorf("workload %s did not run", w)
		}
	}
	if len(rep.Results) != 27 {
		t.Errorf("%d results, want 9 workloads × 3 targets", len(rep.Results))
	}
}
