package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// runOptions bound a run: it stops after duration, or after count
// operations when count > 0, whichever comes first.
type runOptions struct {
	clients  int
	duration time.Duration
	count    int64
	seed     uint64
	progress time.Duration // 0: no progress line
	log      io.Writer     // progress lines
	label    string
}

// runStages runs setup stages: one after the other, the requests of a
// stage on up to clients goroutines. The first error stops it.
func runStages(ctx context.Context, b backend, stages [][]request, clients int) error {
	for _, stage := range stages {
		ctx, cancel := context.WithCancel(ctx)
		var (
			next     atomic.Int64
			wg       sync.WaitGroup
			errOnce  sync.Once
			firstErr error
		)
		for range min(clients, len(stage)) {
			wg.Go(func() {
				for {
					i := next.Add(1) - 1
					if i >= int64(len(stage)) || ctx.Err() != nil {
						return
					}
					if err := b.do(ctx, stage[i]); err != nil {
						errOnce.Do(func() { firstErr = fmt.Errorf("%s: %w", stage[i].kind, err); cancel() })
						return
					}
				}
			})
		}
		wg.Wait()
		cancel()
		if firstErr != nil {
			return firstErr
		}
	}
	return nil
}

// clientStats is what one client goroutine measured.
type clientStats struct {
	all    *histogram
	byKind map[string]*histogram
	errors map[string]int64
	sample map[string]string // one error message per code
}

// runClosed runs a workload's operations in a closed loop: each client
// sends its next request when the previous one is answered.
func runClosed(ctx context.Context, b backend, w workload, o runOptions) *result {
	var (
		ops, errs atomic.Int64
		tickets   atomic.Int64
		wg        sync.WaitGroup
	)
	stats := make([]*clientStats, o.clients)
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	start := time.Now()
	stopProgress := progressLine(ctx, o, start, func() string {
		return fmt.Sprintf("%d ops, %d errors", ops.Load(), errs.Load())
	}, &ops)
	for i := range o.clients {
		s := &clientStats{all: newHistogram(), byKind: map[string]*histogram{}, errors: map[string]int64{}, sample: map[string]string{}}
		stats[i] = s
		gen := w.client(i, rand.New(rand.NewPCG(o.seed, uint64(i))))
		wg.Go(func() {
			for ctx.Err() == nil {
				if o.count > 0 && tickets.Add(1) > o.count {
					cancel()
					return
				}
				req := gen()
				t0 := time.Now()
				err := b.do(ctx, req)
				d := time.Since(t0)
				if err != nil {
					if ctx.Err() != nil {
						return // cut off by the end of the run, not a failure
					}
					code := codeOf(err)
					s.errors[code]++
					if _, ok := s.sample[code]; !ok {
						s.sample[code] = err.Error()
					}
					errs.Add(1)
					continue
				}
				s.all.recordDuration(d)
				h := s.byKind[req.kind]
				if h == nil {
					h = newHistogram()
					s.byKind[req.kind] = h
				}
				h.recordDuration(d)
				ops.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()

	res := &result{Target: b.target(), Clients: o.clients, Seconds: elapsed.Seconds(), Errors: map[string]int64{}, ErrorSamples: map[string]string{}}
	all := newHistogram()
	kinds := map[string]*histogram{}
	for _, s := range stats {
		all.merge(s.all)
		for k, h := range s.byKind {
			if kinds[k] == nil {
				kinds[k] = newHistogram()
			}
			kinds[k].merge(h)
		}
		for c, n := range s.errors {
			res.Errors[c] += n
			res.ErrorSamples[c] = s.sample[c]
		}
	}
	res.Ops = int64(all.count())
	res.Throughput = float64(res.Ops) / elapsed.Seconds()
	res.Latency = summarize(all)
	if len(kinds) > 1 {
		res.ByKind = map[string]kindSummary{}
		for k, h := range kinds {
			res.ByKind[k] = kindSummary{Ops: int64(h.count()), Throughput: float64(h.count()) / elapsed.Seconds(), Latency: summarize(h)}
		}
	}
	return res
}

// progressLine prints a line every o.progress until the returned function
// is called.
func progressLine(ctx context.Context, o runOptions, start time.Time, status func() string, ops *atomic.Int64) (stop func()) {
	if o.progress <= 0 || o.log == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(o.progress)
		defer t.Stop()
		last, lastT := int64(0), start
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case now := <-t.C:
				n := ops.Load()
				rate := float64(n-last) / now.Sub(lastT).Seconds()
				last, lastT = n, now
				fmt.Fprintf(o.log, "  [%s] %5.1fs  %9.0f/s  %s\n", o.label, now.Sub(start).Seconds(), rate, status())
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
