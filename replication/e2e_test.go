package replication_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

const createGlobal = `mutation($n: String!, $r: [ReplicaInput!]) {
  createTable(input: {name: $n, partitionKey: {name: "id", type: S}, streamViewType: NEW_AND_OLD_IMAGES, replicas: $r}) { name }
}`

func replicaList(names ...string) []map[string]any {
	var out []map[string]any
	for _, n := range names {
		out = append(out, map[string]any{"region": n})
	}
	return out
}

// writer writes to one region until stop, counting the acknowledged writes.
func writer(r *region, table string, seed uint64, hot int, stop <-chan struct{}, acked *atomic.Int64, wg *sync.WaitGroup) {
	defer wg.Done()
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		var err error
		switch {
		case i%10 == 9:
			err = r.del(table, map[string]any{"id": fmt.Sprintf("hot-%d", rng.IntN(hot))})
		case i%2 == 0:
			err = r.put(table, map[string]any{"id": fmt.Sprintf("hot-%d", rng.IntN(hot)), "by": r.name, "i": i, "blob": map[string]any{"$b": "AAEC"}})
		default:
			err = r.put(table, map[string]any{"id": fmt.Sprintf("%s-%d", r.name, i), "by": r.name, "n": rng.Float64()})
		}
		if err == nil {
			acked.Add(1)
		} else {
			time.Sleep(20 * time.Millisecond) // the region is down
		}
	}
}

// TestThreeRegions drives three server processes: concurrent writes in all
// regions, kill -9 of one mid-stream, a cut link healed later, and a third
// replica added to a table with data while writes continue.
func TestThreeRegions(t *testing.T) {
	c := newCluster(t, "us-west-1", "us-east-1", "eu-west-1")
	w, e, eu := c.regions["us-west-1"], c.regions["us-east-1"], c.regions["eu-west-1"]

	// A global table in three regions, created in one.
	w.gql(createGlobal, map[string]any{"n": "Orders", "r": replicaList("us-east-1", "eu-west-1")})
	e.waitTable("Orders", 20*time.Second)
	eu.waitTable("Orders", 20*time.Second)

	t.Run("concurrent writes converge", func(t *testing.T) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var acked atomic.Int64
		for i, r := range []*region{w, e, eu} {
			wg.Add(1)
			go writer(r, "Orders", uint64(i), 10, stop, &acked, &wg)
		}
		time.Sleep(3 * time.Second)
		close(stop)
		wg.Wait()
		took := c.converge("Orders", 30*time.Second)
		t.Logf("%d writes acknowledged; converged %s after the last", acked.Load(), took)
		// Subscriptions' view: every region's change stream names origins.
		data := eu.gql(`{ table(name: "Orders") { replicas { region status lagMs } } }`, nil)
		t.Logf("replicas seen from eu-west-1: %v", data["table"])
	})

	t.Run("kill -9 and restart", func(t *testing.T) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var acked atomic.Int64
		for i, r := range []*region{w, e, eu} {
			wg.Add(1)
			go writer(r, "Orders", uint64(10+i), 10, stop, &acked, &wg)
		}
		time.Sleep(time.Second)
		eu.kill()
		time.Sleep(2 * time.Second) // the others keep writing
		eu.start()
		time.Sleep(time.Second)
		close(stop)
		wg.Wait()
		took := c.converge("Orders", 30*time.Second)
		t.Logf("%d writes acknowledged; converged %s after the last", acked.Load(), took)
	})

	t.Run("cut link healed", func(t *testing.T) {
		w.peers["us-east-1"].Cut()
		e.peers["us-west-1"].Cut()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var acked atomic.Int64
		for i, r := range []*region{w, e} {
			wg.Add(1)
			go writer(r, "Orders", uint64(20+i), 10, stop, &acked, &wg)
		}
		time.Sleep(2 * time.Second)
		close(stop)
		wg.Wait()
		if d := diffAfter(w, e, "Orders"); d == "" {
			t.Fatalf("regions agree across a cut link")
		}
		t.Logf("while cut, us-west-1 sees: %v", w.replicas("Orders"))
		w.peers["us-east-1"].Heal()
		e.peers["us-west-1"].Heal()
		took := c.converge("Orders", 30*time.Second)
		t.Logf("%d writes acknowledged while cut; converged %s after healing", acked.Load(), took)
	})

	t.Run("add a replica to a table with data", func(t *testing.T) {
		n := envInt("SHOAL_GT_ITEMS", 100000)
		if testing.Short() {
			n = 5000
		}
		w.gql(createGlobal, map[string]any{"n": "Big", "r": replicaList("us-east-1")})
		e.waitTable("Big", 20*time.Second)
		start := time.Now()
		load(t, w, "Big", n)
		t.Logf("loaded %d items in %s", n, time.Since(start))
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var acked atomic.Int64
		for i, r := range []*region{w, e} {
			wg.Add(1)
			go writer(r, "Big", uint64(30+i), 50, stop, &acked, &wg)
		}
		time.Sleep(500 * time.Millisecond)
		start = time.Now()
		w.gql(`mutation { updateTable(input: {name: "Big", replicas: [{region: "us-west-1"}, {region: "us-east-1"}, {region: "eu-west-1"}]}) { name } }`, nil)
		eu.waitTable("Big", 30*time.Second)
		time.Sleep(2 * time.Second)
		close(stop)
		wg.Wait()
		took := c.converge("Big", 120*time.Second)
		t.Logf("replica of %d items added while %d writes went on; converged %s after the writes stopped (%s after the update)", n, acked.Load(), took, time.Since(start))
		t.Logf("replicas seen from us-west-1: %v", w.replicas("Big"))
	})
}

// diffAfter says how two regions' copies of a table differ ("" if not).
func diffAfter(a, b *region, table string) string {
	da, _ := a.dump(table)
	db, _ := b.dump(table)
	return diffDumps(da, db)
}

// load writes n items into a region with 8 concurrent batch writers.
func load(t *testing.T, r *region, table string, n int) {
	var wg sync.WaitGroup
	var next atomic.Int64
	var failed atomic.Value
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(25)) - 25
				if lo >= n {
					return
				}
				var items []map[string]any
				for i := lo; i < min(lo+25, n); i++ {
					items = append(items, map[string]any{"id": fmt.Sprintf("item-%07d", i), "payload": fmt.Sprintf("%0100d", i), "n": i})
				}
				if err := r.put(table, items...); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
}

// TestFigures measures replication lag at a steady write rate and the
// catch-up time after an outage. It is long: run it with
// SHOAL_GT_FIGURES=1 (SHOAL_GT_RATE writes/s, default 200, for
// SHOAL_GT_SECONDS, default 20; SHOAL_GT_OUTAGE seconds of outage, default
// 60).
func TestFigures(t *testing.T) {
	if os.Getenv("SHOAL_GT_FIGURES") == "" {
		t.Skip("set SHOAL_GT_FIGURES=1 to measure replication lag and catch-up")
	}
	rate, secs, outage := envInt("SHOAL_GT_RATE", 200), envInt("SHOAL_GT_SECONDS", 20), envInt("SHOAL_GT_OUTAGE", 60)
	c := newCluster(t, "us-west-1", "us-east-1", "eu-west-1")
	w, e, eu := c.regions["us-west-1"], c.regions["us-east-1"], c.regions["eu-west-1"]
	w.gql(createGlobal, map[string]any{"n": "Steady", "r": replicaList("us-east-1", "eu-west-1")})
	e.waitTable("Steady", 20*time.Second)
	eu.waitTable("Steady", 20*time.Second)
	steady := func(d time.Duration, tag string) int {
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		end := time.Now().Add(d)
		n := 0
		for time.Now().Before(end) {
			<-tick.C
			if err := w.put("Steady", map[string]any{"id": fmt.Sprintf("%s-%d", tag, n%5000), "n": n}); err != nil {
				t.Fatal(err)
			}
			n++
		}
		return n
	}
	var st struct {
		Count int64   `json:"count"`
		P50   float64 `json:"p50Ms"`
		P99   float64 `json:"p99Ms"`
		Max   float64 `json:"maxMs"`
	}
	_ = e.getJSON("/replication/v1/stats?reset=1", &st)
	n := steady(time.Duration(secs)*time.Second, "s")
	c.converge("Steady", 30*time.Second)
	if err := e.getJSON("/replication/v1/stats", &st); err != nil {
		t.Fatal(err)
	}
	t.Logf("FIGURE lag at %d writes/s for %ds (%d writes), us-west-1 → us-east-1: p50 %.1f ms, p99 %.1f ms, max %.1f ms over %d changes",
		rate, secs, n, st.P50, st.P99, st.Max, st.Count)

	eu.kill()
	n = steady(time.Duration(outage)*time.Second, "o")
	start := time.Now()
	eu.start()
	took := c.converge("Steady", 5*time.Minute)
	t.Logf("FIGURE catch-up after a %ds outage (%d writes at %d/s missed): %s from restart to convergence (%s of it spent converging after the process was up)",
		outage, n, rate, time.Since(start), took)
}
