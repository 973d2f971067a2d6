package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
)

// fanoutOptions shape the fan-out workload: subscribers subscriptions to
// itemChanges, filtered by partition key on rooms rooms (subscriber j
// watches room j mod rooms), carried by conns WebSocket connections; a
// writer puts rate items a second, round-robin over the rooms, each
// carrying the time it was sent, and every subscriber of the room measures
// the delay at which the change reaches it.
type fanoutOptions struct {
	subscribers int
	conns       int
	rooms       int
	rate        float64
	drain       time.Duration // longest wait for deliveries after the writes stop
	ready       time.Duration // longest wait for every subscription to be live
}

const qSubscribe = `subscription($t: String!, $pk: JSON) { itemChanges(table: $t, partitionKey: $pk) { newImage } }`

func roomName(i int) string { return fmt.Sprintf("r%05d", i) }

// fanSink collects deliveries from every subscriber.
type fanSink struct {
	ready     []atomic.Bool
	nReady    atomic.Int64
	delivered atomic.Int64
	shards    [64]struct {
		mu sync.Mutex
		h  *histogram
	}
	errMu  sync.Mutex
	errors map[string]int64
	sample map[string]string
}

func newFanSink(subscribers int) *fanSink {
	s := &fanSink{ready: make([]atomic.Bool, subscribers), errors: map[string]int64{}, sample: map[string]string{}}
	for i := range s.shards {
		s.shards[i].h = newHistogram()
	}
	return s
}

// deliver records that subscriber sub received an item sent at sentAt
// (Unix nanoseconds; 0 marks a readiness probe).
func (s *fanSink) deliver(sub int, sentAt int64, now time.Time) {
	if sub < 0 || sub >= len(s.ready) {
		return
	}
	if sentAt == 0 {
		if !s.ready[sub].Swap(true) {
			s.nReady.Add(1)
		}
		return
	}
	sh := &s.shards[sub%len(s.shards)]
	sh.mu.Lock()
	sh.h.record(now.UnixNano() - sentAt)
	sh.mu.Unlock()
	s.delivered.Add(1)
}

func (s *fanSink) fail(code, msg string) {
	s.errMu.Lock()
	s.errors[code]++
	if _, ok := s.sample[code]; !ok {
		s.sample[code] = msg
	}
	s.errMu.Unlock()
}

func (s *fanSink) histogram() *histogram {
	h := newHistogram()
	for i := range s.shards {
		s.shards[i].mu.Lock()
		h.merge(s.shards[i].h)
		s.shards[i].mu.Unlock()
	}
	return h
}

// fanWrite is the writer's request: put the room's item with its send time.
func fanWrite(table, room string, n int64, sentAt int64) request {
	it := item{"room": room, "sentAt": strconv.FormatInt(sentAt, 10), "n": n}
	r := putReq(table, it)
	r.kind = "fanout-write"
	return r
}

// subscribers is the receiving side of the fan-out workload on one target.
type subscribers interface {
	// close ends every subscription and waits for them.
	close()
}

// runFanout runs the fan-out workload against b (shoal, http or engine);
// wsURL is the WebSocket endpoint of an HTTP target.
func runFanout(ctx context.Context, b backend, wsURL, token string, table string, fo fanoutOptions, o runOptions) (*result, error) {
	sink := newFanSink(fo.subscribers)
	subsOfRoom := make([]int64, fo.rooms)
	for j := range fo.subscribers {
		subsOfRoom[j%fo.rooms]++
	}
	if err := runStages(ctx, b, [][]request{{createTable(tableSpec{name: table, pk: keyAttr{"room", "S"}, stream: "NEW_IMAGE"})}}, 1); err != nil {
		return nil, err
	}
	defer func() { _ = runStages(context.WithoutCancel(ctx), b, [][]request{{deleteTable(table)}}, 1) }()

	setupStart := time.Now()
	var subs subscribers
	var err error
	if eb, ok := b.(*engineBackend); ok {
		subs, err = watchEngine(ctx, eb.db, table, fo, sink)
	} else {
		subs, err = subscribeWS(ctx, wsURL, token, table, fo, sink)
	}
	if err != nil {
		return nil, err
	}
	defer subs.close()

	// Probe every room until each subscriber has seen a probe: only then
	// is every subscription known to be live.
	readyCtx, cancelReady := context.WithTimeout(ctx, fo.ready)
	for int(sink.nReady.Load()) < fo.subscribers && readyCtx.Err() == nil {
		pending := map[int]bool{}
		for j := range fo.subscribers {
			if !sink.ready[j].Load() {
				pending[j%fo.rooms] = true
			}
		}
		var probes []request
		for room := range pending {
			probes = append(probes, fanWrite(table, roomName(room), -1, 0))
		}
		if err := runStages(readyCtx, b, [][]request{probes}, o.clients); err != nil && readyCtx.Err() == nil {
			cancelReady()
			return nil, fmt.Errorf("probe: %w", err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for int(sink.nReady.Load()) < fo.subscribers && time.Now().Before(deadline) && readyCtx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
	cancelReady()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	setup := time.Since(setupStart)
	nReady := sink.nReady.Load()

	// The measured phase: writes on an open-loop schedule.
	var (
		expected, writes atomic.Int64
		tickets          atomic.Int64
		wg               sync.WaitGroup
		wmu              sync.Mutex
		whist            = newHistogram()
		werrs            = map[string]int64{}
		wsample          = map[string]string{}
	)
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	start := time.Now()
	interval := time.Duration(float64(time.Second) / fo.rate)
	stopProgress := progressLine(runCtx, o, start, func() string {
		d := sink.delivered.Load()
		return fmt.Sprintf("%d writes, %d deliveries, lag %d", writes.Load(), d, expected.Load()-d)
	}, &sink.delivered)
	for range fanoutWriters(o.clients, fo.rate) {
		wg.Go(func() {
			h := newHistogram()
			errs := map[string]int64{}
			samples := map[string]string{}
			defer func() {
				wmu.Lock()
				whist.merge(h)
				for c, n := range errs {
					werrs[c] += n
					wsample[c] = samples[c]
				}
				wmu.Unlock()
			}()
			for {
				n := tickets.Add(1) - 1
				if o.count > 0 && n >= o.count {
					return
				}
				due := start.Add(time.Duration(n) * interval)
				if wait := time.Until(due); wait > 0 {
					select {
					case <-time.After(wait):
					case <-runCtx.Done():
						return
					}
				}
				if runCtx.Err() != nil {
					return
				}
				room := int(n % int64(fo.rooms))
				t0 := time.Now()
				// A write once sent is let finish, so that every write
				// that commits is counted in the expected deliveries.
				err := b.do(ctx, fanWrite(table, roomName(room), n, t0.UnixNano()))
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					c := codeOf(err)
					errs[c]++
					samples[c] = err.Error()
					continue
				}
				h.recordDuration(time.Since(t0))
				writes.Add(1)
				expected.Add(subsOfRoom[room])
			}
		})
	}
	wg.Wait()
	window := time.Since(start)
	// Drain: wait for the deliveries still in flight.
	last, lastChange := sink.delivered.Load(), time.Now()
	drainEnd := time.Now().Add(fo.drain)
	for sink.delivered.Load() < expected.Load() && time.Now().Before(drainEnd) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
		if d := sink.delivered.Load(); d != last {
			last, lastChange = d, time.Now()
		} else if time.Since(lastChange) > 3*time.Second {
			break
		}
	}
	total := time.Since(start)
	stopProgress()

	del := sink.histogram()
	res := &result{Target: b.target(), Clients: o.clients, Seconds: window.Seconds(), Errors: map[string]int64{}, ErrorSamples: map[string]string{}}
	res.Ops = writes.Load()
	res.Throughput = float64(res.Ops) / window.Seconds()
	res.Latency = summarize(del)
	res.ByKind = map[string]kindSummary{
		"write":   {Ops: int64(whist.count()), Throughput: res.Throughput, Latency: summarize(whist)},
		"deliver": {Ops: int64(del.count()), Throughput: float64(del.count()) / total.Seconds(), Latency: summarize(del)},
	}
	for c, n := range werrs {
		res.Errors[c] += n
		res.ErrorSamples[c] = wsample[c]
	}
	sink.errMu.Lock()
	for c, n := range sink.errors {
		res.Errors[c] += n
		res.ErrorSamples[c] = sink.sample[c]
	}
	sink.errMu.Unlock()
	exp, got := expected.Load(), sink.delivered.Load()
	res.Fanout = &fanoutStats{
		Subscribers: fo.subscribers, Connections: fo.conns, Rooms: fo.rooms, Ready: nReady,
		TargetRate: fo.rate, WritesPerSec: res.Throughput,
		Expected: exp, Delivered: got, Undelivered: exp - got,
		DeliveriesPerSec: float64(got) / total.Seconds(),
		SetupSeconds:     setup.Seconds(), DrainSeconds: (total - window).Seconds(),
	}
	res.Fanout.Connections = connsFor(fo, b)
	res.Clients = fanoutWriters(o.clients, fo.rate)
	return res, nil
}

// fanoutWriters is the number of writer goroutines: at least clients, and
// enough that the asked rate holds while a write takes up to 100 ms, so
// that a slow server shows as write latency rather than a lower rate.
func fanoutWriters(clients int, rate float64) int {
	return max(clients, min(1000, int(rate/10)))
}

func connsFor(fo fanoutOptions, b backend) int {
	if b.target() == targetEngine {
		return 0 // no connections: watchers are called in-process
	}
	return fo.conns
}

// ---------------------------------------------------------------- WebSocket subscribers

// wsSubscribers are subscriptions over graphql-transport-ws connections.
type wsSubscribers struct {
	conns  []*websocket.Conn
	wg     sync.WaitGroup
	closed atomic.Bool
}

func (s *wsSubscribers) close() {
	s.closed.Store(true)
	for _, c := range s.conns {
		_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = c.Close()
	}
	s.wg.Wait()
}

// wsMessage is a graphql-transport-ws message as the subscribers read it.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

type nextPayload struct {
	Data struct {
		ItemChanges struct {
			NewImage struct {
				SentAt string `json:"sentAt"`
			} `json:"newImage"`
		} `json:"itemChanges"`
	} `json:"data"`
	Errors []gqlError `json:"errors"`
}

// dialWS opens a graphql-transport-ws connection and completes the
// connection_init handshake, with the token in the init payload.
func dialWS(ctx context.Context, wsURL, token string) (*websocket.Conn, error) {
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 10 * time.Second,
		ReadBufferSize: 16 << 10, WriteBufferSize: 16 << 10}
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	c, resp, err := d.DialContext(ctx, wsURL, h)
	if err != nil {
		if resp != nil {
			return nil, &codeError{code: "HTTP_" + strconv.Itoa(resp.StatusCode), msg: "websocket: " + err.Error()}
		}
		return nil, &codeError{code: "NETWORK", msg: "websocket: " + err.Error()}
	}
	init := map[string]any{"type": "connection_init"}
	if token != "" {
		init["payload"] = map[string]any{"Authorization": "Bearer " + token}
	}
	if err := c.WriteJSON(init); err != nil {
		c.Close()
		return nil, &codeError{code: "NETWORK", msg: err.Error()}
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var m wsMessage
		if err := c.ReadJSON(&m); err != nil {
			c.Close()
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return nil, &codeError{code: fmt.Sprintf("WS_%d", ce.Code), msg: ce.Text}
			}
			return nil, &codeError{code: "NETWORK", msg: err.Error()}
		}
		switch m.Type {
		case "connection_ack":
			_ = c.SetReadDeadline(time.Time{})
			return c, nil
		case "ping":
			_ = c.WriteJSON(map[string]any{"type": "pong"})
		}
	}
}

// subscribeWS opens fo.conns connections and subscribes fo.subscribers
// times, spread evenly over them.
func subscribeWS(ctx context.Context, wsURL, token, table string, fo fanoutOptions, sink *fanSink) (*wsSubscribers, error) {
	s := &wsSubscribers{}
	conns := min(fo.conns, fo.subscribers)
	for range conns {
		c, err := dialWS(ctx, wsURL, token)
		if err != nil {
			s.close()
			return nil, err
		}
		s.conns = append(s.conns, c)
	}
	for ci, c := range s.conns {
		var wmu sync.Mutex
		s.wg.Go(func() { readSubscriptions(c, &wmu, sink, &s.closed) })
		// Subscriber j is on connection j mod conns.
		for j := ci; j < fo.subscribers; j += conns {
			msg := map[string]any{"id": "s" + strconv.Itoa(j), "type": "subscribe", "payload": map[string]any{
				"query": qSubscribe, "variables": map[string]any{"t": table, "pk": map[string]any{"room": roomName(j % fo.rooms)}}}}
			wmu.Lock()
			err := c.WriteJSON(msg)
			wmu.Unlock()
			if err != nil {
				s.close()
				return nil, &codeError{code: "NETWORK", msg: err.Error()}
			}
		}
	}
	return s, nil
}

// readSubscriptions reads one connection's messages until it closes.
func readSubscriptions(c *websocket.Conn, wmu *sync.Mutex, sink *fanSink, closed *atomic.Bool) {
	for {
		_, data, err := c.ReadMessage()
		now := time.Now()
		if err != nil {
			if !closed.Load() {
				code := "NETWORK"
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					code = fmt.Sprintf("WS_%d", ce.Code)
				}
				sink.fail(code, "subscription connection: "+err.Error())
			}
			return
		}
		var m wsMessage
		if err := json.Unmarshal(data, &m); err != nil {
			sink.fail("BAD_MESSAGE", err.Error())
			continue
		}
		switch m.Type {
		case "next":
			var p nextPayload
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				sink.fail("BAD_MESSAGE", err.Error())
				continue
			}
			if len(p.Errors) > 0 {
				sink.fail(errCode(p.Errors[0]), p.Errors[0].Message)
				continue
			}
			sentAt, err := strconv.ParseInt(p.Data.ItemChanges.NewImage.SentAt, 10, 64)
			if err != nil {
				sink.fail("BAD_MESSAGE", "sentAt: "+err.Error())
				continue
			}
			sub, _ := strconv.Atoi(strings.TrimPrefix(m.ID, "s"))
			sink.deliver(sub, sentAt, now)
		case "error":
			var errs []gqlError
			_ = json.Unmarshal(m.Payload, &errs)
			if len(errs) == 0 {
				errs = []gqlError{{Message: string(m.Payload)}}
			}
			sink.fail(errCode(errs[0]), "subscription "+m.ID+": "+errs[0].Message)
		case "complete":
			if !closed.Load() {
				sink.fail("COMPLETED", "subscription "+m.ID+" ended by the server")
			}
		case "ping":
			wmu.Lock()
			_ = c.WriteMessage(websocket.TextMessage, []byte(`{"type":"pong"}`))
			wmu.Unlock()
		}
	}
}

func errCode(e gqlError) string {
	if e.Extensions.Code != "" {
		return e.Extensions.Code
	}
	return "GRAPHQL"
}

// ---------------------------------------------------------------- in-process watchers

// engineWatchers are the fan-out baseline's subscribers: engine watchers
// called in-process, one goroutine each, as the server runs them.
type engineWatchers struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (w *engineWatchers) close() { w.cancel(); w.wg.Wait() }

func watchEngine(ctx context.Context, db *engine.DB, table string, fo fanoutOptions, sink *fanSink) (*engineWatchers, error) {
	ctx, cancel := context.WithCancel(ctx)
	w := &engineWatchers{cancel: cancel}
	for j := range fo.subscribers {
		wt, err := db.NewWatcher(ctx, engine.WatchInput{Table: table, FromLatest: true,
			Keys: &expr.KeyCondition{PartitionName: "room", PartitionValue: attr.S(roomName(j % fo.rooms))}})
		if err != nil {
			w.close()
			return nil, err
		}
		w.wg.Go(func() {
			err := wt.Run(ctx, func(c engine.Change) error {
				now := time.Now()
				s, _ := c.NewImage["sentAt"].(attr.S)
				sentAt, err := strconv.ParseInt(string(s), 10, 64)
				if err != nil {
					sink.fail("BAD_MESSAGE", "sentAt: "+err.Error())
					return nil
				}
				sink.deliver(j, sentAt, now)
				return nil
			})
			if err != nil && ctx.Err() == nil {
				sink.fail(string(engine.CodeOf(err)), err.Error())
			}
		})
	}
	return w, nil
}

// ---------------------------------------------------------------- bare WebSocket server

// bareFanout is the fan-out side of the bare HTTP server: it speaks just
// enough graphql-transport-ws to take subscriptions, and each fan-out
// write posted to the server is sent to the subscribers of its room as a
// next message, through one writer goroutine per connection, as Shoal
// does. It is the network-and-WebSocket ceiling.
type bareFanout struct {
	mu    sync.Mutex
	rooms map[string][]bareSub
	conns map[*bareConn]struct{}
	up    websocket.Upgrader
}

type bareConn struct {
	ws   *websocket.Conn
	send chan []byte
	done chan struct{}
	once sync.Once
}

type bareSub struct {
	c  *bareConn
	id string
}

func newBareFanout() *bareFanout {
	return &bareFanout{rooms: map[string][]bareSub{}, conns: map[*bareConn]struct{}{},
		up: websocket.Upgrader{Subprotocols: []string{"graphql-transport-ws"}, ReadBufferSize: 16 << 10, WriteBufferSize: 16 << 10}}
}

func (f *bareFanout) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := f.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &bareConn{ws: ws, send: make(chan []byte, 4096), done: make(chan struct{})}
	f.mu.Lock()
	f.conns[c] = struct{}{}
	f.mu.Unlock()
	go func() {
		for {
			select {
			case m := <-c.send:
				if err := ws.WriteMessage(websocket.TextMessage, m); err != nil {
					c.stop()
					return
				}
			case <-c.done:
				return
			}
		}
	}()
	defer f.drop(c)
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var m struct {
			ID      string `json:"id"`
			Type    string `json:"type"`
			Payload struct {
				Variables struct {
					PK struct {
						Room string `json:"room"`
					} `json:"pk"`
				} `json:"variables"`
			} `json:"payload"`
		}
		if json.Unmarshal(data, &m) != nil {
			return
		}
		switch m.Type {
		case "connection_init":
			c.push([]byte(`{"type":"connection_ack"}`))
		case "ping":
			c.push([]byte(`{"type":"pong"}`))
		case "subscribe":
			f.mu.Lock()
			f.rooms[m.Payload.Variables.PK.Room] = append(f.rooms[m.Payload.Variables.PK.Room], bareSub{c: c, id: m.ID})
			f.mu.Unlock()
		}
	}
}

func (c *bareConn) stop() { c.once.Do(func() { close(c.done); c.ws.Close() }) }

func (c *bareConn) push(m []byte) {
	select {
	case c.send <- m:
	case <-c.done:
	}
}

func (f *bareFanout) drop(c *bareConn) {
	c.stop()
	f.mu.Lock()
	delete(f.conns, c)
	for room, subs := range f.rooms {
		kept := subs[:0]
		for _, s := range subs {
			if s.c != c {
				kept = append(kept, s)
			}
		}
		f.rooms[room] = kept
	}
	f.mu.Unlock()
}

// publish sends a posted putItem's item to the subscribers of its room.
func (f *bareFanout) publish(body []byte) {
	var req struct {
		Variables struct {
			I json.RawMessage `json:"i"`
		} `json:"variables"`
	}
	if json.Unmarshal(body, &req) != nil {
		return
	}
	var it struct {
		Room string `json:"room"`
	}
	if json.Unmarshal(req.Variables.I, &it) != nil {
		return
	}
	f.mu.Lock()
	subs := append([]bareSub(nil), f.rooms[it.Room]...)
	f.mu.Unlock()
	for _, s := range subs {
		msg := fmt.Appendf(nil, `{"id":%q,"type":"next","payload":{"data":{"itemChanges":{"newImage":%s}}}}`, s.id, req.Variables.I)
		s.c.push(msg)
	}
}

func (f *bareFanout) closeAll() {
	f.mu.Lock()
	conns := make([]*bareConn, 0, len(f.conns))
	for c := range f.conns {
		conns = append(conns, c)
	}
	f.mu.Unlock()
	for _, c := range conns {
		c.stop()
	}
}
