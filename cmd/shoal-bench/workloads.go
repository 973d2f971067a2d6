package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
)

// workload is a closed-loop benchmark: its tables, their seed data and a
// stream of operations per client.
type workload interface {
	// setup returns the stages that create and seed the workload's tables:
	// stages run one after the other, the requests of a stage
	// concurrently.
	setup() [][]request
	// teardown returns the requests that delete the workload's tables.
	teardown() []request
	// client returns the operation generator of client i; it is called
	// once per client and the generator is used by that client only.
	client(i int, r *rand.Rand) func() request
}

// The workloads, by name, in the order "all" runs them.
var workloadNames = []string{"get", "put", "update", "query", "leaderboard", "mixed", "session", "fanout"}

// params holds the sizes the workloads are built from.
type params struct {
	suffix     string  // appended to table names, so runs do not collide
	items      int     // items seeded (players for leaderboard)
	valueSize  int     // bytes of payload per item
	dist       string  // "uniform" or "zipf"
	theta      float64 // Zipfian exponent
	reads      float64 // fraction of reads in mixed and leaderboard
	page       int     // items per query page
	players    int     // session workload's players
	sessionTTL time.Duration
}

// keyPicker returns the key index generator of a distribution.
func keyPicker(p params) func(r *rand.Rand) int {
	if p.dist == "zipf" {
		z := newZipfian(p.items, p.theta, true)
		return z.next
	}
	n := p.items
	return func(r *rand.Rand) int { return r.IntN(n) }
}

// newWorkload builds a closed-loop workload by name.
func newWorkload(name string, p params) (workload, error) {
	switch name {
	case "get", "put", "update", "mixed":
		return &kvWorkload{name: name, p: p, table: "bench_kv_" + name + p.suffix, pick: keyPicker(p)}, nil
	case "query":
		return &queryWorkload{p: p, table: "bench_query" + p.suffix}, nil
	case "leaderboard":
		return &leaderboardWorkload{p: p, table: "bench_scores" + p.suffix, pick: keyPicker(p)}, nil
	case "session":
		return &sessionWorkload{p: p, table: "bench_sessions" + p.suffix}, nil
	}
	return nil, fmt.Errorf("unknown workload %q (want one of %s)", name, strings.Join(workloadNames, ", "))
}

// ---------------------------------------------------------------- items

// item is an item as plain values (string and int64), from which both the
// GraphQL variables and the engine's attr.Item are made.
type item map[string]any

func (it item) attr() attr.Item {
	m := make(attr.Item, len(it))
	for k, v := range it {
		m[k] = toAttr(v)
	}
	return m
}

func toAttr(v any) attr.Value {
	switch v := v.(type) {
	case string:
		return attr.S(v)
	case int64:
		return attr.NumberFromInt64(v)
	case int:
		return attr.NumberFromInt64(int64(v))
	}
	panic(fmt.Sprintf("shoal-bench: unsupported value %T", v))
}

func payload(r *rand.Rand, n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b)
}

// ---------------------------------------------------------------- requests

const (
	qCreate = `mutation($i: CreateTableInput!) { createTable(input: $i) { name } }`
	qDelete = `mutation($n: String!) { deleteTable(input: {name: $n}) { name } }`
	qBatch  = `mutation($r: [WriteRequestInput!]!) { batchWriteItems(input: {requests: $r}) { unprocessed { table } } }`
	qGet    = `query($t: String!, $k: JSON!) { item(table: $t, key: $k) }`
	qPut    = `mutation($t: String!, $i: JSON!) { putItem(input: {table: $t, item: $i}) { attributes } }`
	qIncr   = `mutation($t: String!, $k: JSON!, $u: JSON!) { updateItem(input: {table: $t, key: $k, update: {increment: $u}}) { attributes } }`
	qUpdSet = `mutation($t: String!, $k: JSON!, $u: JSON!, $s: JSON!) { updateItem(input: {table: $t, key: $k, update: {increment: $u, set: $s}}) { attributes } }`
	qQuery  = `query($t: String!, $pk: JSON!, $l: Int!) { query(table: $t, partitionKey: $pk, limit: $l) { count cursor items } }`
	qIndex  = `query($t: String!, $x: String!, $pk: JSON!, $l: Int!) { query(table: $t, index: $x, partitionKey: $pk, scanForward: false, limit: $l) { count items } }`
)

// keyAttr is a key attribute of a table to create.
type keyAttr struct{ name, typ string }

func (k keyAttr) gql() map[string]any { return map[string]any{"name": k.name, "type": k.typ} }

func (k keyAttr) eng() engine.KeyAttribute {
	t, _ := attr.ParseType(k.typ)
	return engine.KeyAttribute{Name: k.name, Type: t}
}

type tableSpec struct {
	name   string
	pk     keyAttr
	sk     *keyAttr
	gsi    string // one global index (name), or ""
	gsiPK  keyAttr
	gsiSK  keyAttr
	ttl    string
	stream string // "" or a StreamViewType, e.g. NEW_IMAGE
}

func createTable(s tableSpec) request {
	in := map[string]any{"name": s.name, "partitionKey": s.pk.gql()}
	spec := engine.TableSpec{Name: s.name, KeySchema: engine.KeySchema{Partition: s.pk.eng()}, TTLAttribute: s.ttl}
	if s.sk != nil {
		in["sortKey"] = s.sk.gql()
		sk := s.sk.eng()
		spec.KeySchema.Sort = &sk
	}
	if s.gsi != "" {
		in["globalIndexes"] = []any{map[string]any{"name": s.gsi, "partitionKey": s.gsiPK.gql(), "sortKey": s.gsiSK.gql()}}
		isk := s.gsiSK.eng()
		spec.GlobalIndexes = []engine.IndexSpec{{Name: s.gsi, KeySchema: engine.KeySchema{Partition: s.gsiPK.eng(), Sort: &isk}}}
	}
	if s.ttl != "" {
		in["ttlAttribute"] = s.ttl
	}
	if s.stream != "" {
		in["streamViewType"] = s.stream
		spec.StreamView = engine.StreamViewType(s.stream)
	}
	return request{kind: "createTable", gql: gqlBody(qCreate, map[string]any{"i": in}),
		eng: func(ctx context.Context, db *engine.DB) error { _, err := db.CreateTable(ctx, spec); return err }}
}

func deleteTable(name string) request {
	return request{kind: "deleteTable", gql: gqlBody(qDelete, map[string]any{"n": name}),
		eng: func(ctx context.Context, db *engine.DB) error { _, err := db.DeleteTable(ctx, name); return err }}
}

// seedBatches returns batch writes of items 0..n-1 made by mk, 25 a batch.
func seedBatches(table string, n int, mk func(i int) item) []request {
	var out []request
	for lo := 0; lo < n; lo += 25 {
		hi := min(lo+25, n)
		var gqlReqs []any
		var engReqs []engine.WriteRequest
		for i := lo; i < hi; i++ {
			it := mk(i)
			gqlReqs = append(gqlReqs, map[string]any{"table": table, "put": it})
			engReqs = append(engReqs, engine.WriteRequest{Table: table, Put: it.attr()})
		}
		out = append(out, request{kind: "seed", gql: gqlBody(qBatch, map[string]any{"r": gqlReqs}),
			eng: func(ctx context.Context, db *engine.DB) error {
				in := engine.BatchWriteInput{Requests: engReqs}
				for range 100 {
					res, err := db.BatchWriteItem(ctx, in)
					if err != nil || len(res.Unprocessed) == 0 {
						return err
					}
					in.Requests = res.Unprocessed
				}
				return fmt.Errorf("seed: writes left unprocessed")
			}})
	}
	return out
}

func getReq(table string, key item) request {
	k := key.attr()
	return request{kind: "get", gql: gqlBody(qGet, map[string]any{"t": table, "k": key}),
		eng: func(ctx context.Context, db *engine.DB) error {
			_, err := db.GetItem(ctx, engine.GetItemInput{Table: table, Key: k})
			return err
		}}
}

func putReq(table string, it item) request {
	a := it.attr()
	return request{kind: "put", gql: gqlBody(qPut, map[string]any{"t": table, "i": it}),
		eng: func(ctx context.Context, db *engine.DB) error {
			_, err := db.PutItem(ctx, engine.PutItemInput{Table: table, Item: a})
			return err
		}}
}

// incrReq adds by to the number at name, from 0 when absent, and, when set
// is not nil, sets its attributes.
func incrReq(kind, table string, key item, name string, by int64, set item) request {
	k := key.attr()
	vars := map[string]any{"t": table, "k": key, "u": map[string]any{name: by}}
	q := qIncr
	text := "SET #a = if_not_exists(#a, :z) + :d"
	p := expr.Params{Names: map[string]string{"#a": name}, Values: map[string]attr.Value{":z": attr.NumberFromInt64(0), ":d": attr.NumberFromInt64(by)}}
	if set != nil {
		q = qUpdSet
		vars["s"] = set
		i := 0
		for n, v := range set {
			ph := fmt.Sprintf("b%d", i)
			p.Names["#"+ph] = n
			p.Values[":"+ph] = toAttr(v)
			text += fmt.Sprintf(", #%s = :%s", ph, ph)
			i++
		}
	}
	return request{kind: kind, gql: gqlBody(q, vars),
		eng: func(ctx context.Context, db *engine.DB) error {
			u, err := p.Update(text)
			if err != nil {
				return err
			}
			_, err = db.UpdateItem(ctx, engine.UpdateItemInput{Table: table, Key: k, Update: u})
			return err
		}}
}

// queryReq reads the first limit items of a partition, of the table or
// (backward) of an index.
func queryReq(kind, table, index, pkName, pk string, limit int) request {
	var body []byte
	if index == "" {
		body = gqlBody(qQuery, map[string]any{"t": table, "pk": map[string]any{pkName: pk}, "l": limit})
	} else {
		body = gqlBody(qIndex, map[string]any{"t": table, "x": index, "pk": map[string]any{pkName: pk}, "l": limit})
	}
	return request{kind: kind, gql: body,
		eng: func(ctx context.Context, db *engine.DB) error {
			_, err := db.Query(ctx, engine.QueryInput{
				Table: table, Index: index,
				KeyCondition: &expr.KeyCondition{PartitionName: pkName, PartitionValue: attr.S(pk)},
				Paging:       engine.Paging{Limit: limit, LimitMatches: true, Backward: index != ""},
			})
			return err
		}}
}

func kvKey(i int) string { return fmt.Sprintf("k%09d", i) }

// ---------------------------------------------------------------- get, put, update, mixed

// kvWorkload is a table of items keyed by id: get reads them, put replaces
// them, update increments a counter, mixed does 95 % gets and 5 % puts
// (YCSB workload B).
type kvWorkload struct {
	name  string
	p     params
	table string
	pick  func(*rand.Rand) int
}

func (w *kvWorkload) setup() [][]request {
	create := createTable(tableSpec{name: w.table, pk: keyAttr{"id", "S"}})
	r := rand.New(rand.NewPCG(1, 2))
	seed := seedBatches(w.table, w.p.items, func(i int) item {
		return item{"id": kvKey(i), "v": payload(r, w.p.valueSize), "n": int64(0)}
	})
	return [][]request{{create}, seed}
}

func (w *kvWorkload) teardown() []request { return []request{deleteTable(w.table)} }

func (w *kvWorkload) client(_ int, r *rand.Rand) func() request {
	val := payload(r, w.p.valueSize)
	reads := w.p.reads
	return func() request {
		k := kvKey(w.pick(r))
		switch w.name {
		case "get":
			return getReq(w.table, item{"id": k})
		case "put":
			return putReq(w.table, item{"id": k, "v": val, "n": int64(r.IntN(1000))})
		case "update":
			return incrReq("update", w.table, item{"id": k}, "n", 1, nil)
		}
		if r.Float64() < reads {
			return getReq(w.table, item{"id": k})
		}
		return putReq(w.table, item{"id": k, "v": val, "n": int64(r.IntN(1000))})
	}
}

// ---------------------------------------------------------------- query

// queryWorkload reads pages of p.page items from partitions of p.page
// items each.
type queryWorkload struct {
	p     params
	table string
}

func (w *queryWorkload) partitions() int { return max(1, w.p.items/w.p.page) }

func (w *queryWorkload) setup() [][]request {
	create := createTable(tableSpec{name: w.table, pk: keyAttr{"pk", "S"}, sk: &keyAttr{"sk", "N"}})
	r := rand.New(rand.NewPCG(3, 4))
	n := w.partitions() * w.p.page
	seed := seedBatches(w.table, n, func(i int) item {
		return item{"pk": fmt.Sprintf("p%06d", i/w.p.page), "sk": int64(i % w.p.page), "v": payload(r, w.p.valueSize)}
	})
	return [][]request{{create}, seed}
}

func (w *queryWorkload) teardown() []request { return []request{deleteTable(w.table)} }

func (w *queryWorkload) client(_ int, r *rand.Rand) func() request {
	parts := w.partitions()
	return func() request {
		return queryReq("query", w.table, "", "pk", fmt.Sprintf("p%06d", r.IntN(parts)), w.p.page)
	}
}

// ---------------------------------------------------------------- leaderboard

// leaderboardWorkload reads the top 10 of a GSI (every player on one
// board, sorted by score) while scores are incremented.
type leaderboardWorkload struct {
	p     params
	table string
	pick  func(*rand.Rand) int
}

func (w *leaderboardWorkload) setup() [][]request {
	create := createTable(tableSpec{name: w.table, pk: keyAttr{"player", "S"},
		gsi: "byScore", gsiPK: keyAttr{"board", "S"}, gsiSK: keyAttr{"score", "N"}})
	r := rand.New(rand.NewPCG(5, 6))
	seed := seedBatches(w.table, w.p.items, func(i int) item {
		return item{"player": fmt.Sprintf("player%07d", i), "board": "global", "score": int64(r.IntN(1_000_000))}
	})
	return [][]request{{create}, seed}
}

func (w *leaderboardWorkload) teardown() []request { return []request{deleteTable(w.table)} }

func (w *leaderboardWorkload) client(_ int, r *rand.Rand) func() request {
	return func() request {
		if r.Float64() < w.p.reads {
			return queryReq("top10", w.table, "byScore", "board", "global", 10)
		}
		return incrReq("score", w.table, item{"player": fmt.Sprintf("player%07d", w.pick(r))}, "score", int64(1+r.IntN(100)), nil)
	}
}

// ---------------------------------------------------------------- session

// sessionWorkload is a game's session table: sessions are put with a TTL,
// updated while they last (a move counter and a state), and listed by
// player through a GSI; the TTL sweeper deletes them when they expire.
// Of the operations, 20 % are puts, 60 % updates and 20 % queries.
type sessionWorkload struct {
	p     params
	table string
}

func (w *sessionWorkload) setup() [][]request {
	return [][]request{{createTable(tableSpec{name: w.table, pk: keyAttr{"sid", "S"}, ttl: "expiresAt",
		gsi: "byPlayer", gsiPK: keyAttr{"player", "S"}, gsiSK: keyAttr{"started", "N"}})}}
}

func (w *sessionWorkload) teardown() []request { return []request{deleteTable(w.table)} }

func (w *sessionWorkload) client(i int, r *rand.Rand) func() request {
	type live struct {
		sid string
		at  time.Time
	}
	var ring [64]live
	var n int
	val := payload(r, w.p.valueSize)
	ttl := max(w.p.sessionTTL, time.Second)
	return func() request {
		now := time.Now()
		x := r.Float64()
		if x < 0.6 && n > 0 {
			s := ring[r.IntN(min(n, len(ring)))]
			if now.Sub(s.at) < ttl/2 {
				return incrReq("session-update", w.table, item{"sid": s.sid}, "moves", 1, item{"phase": "playing"})
			}
		}
		if x >= 0.8 {
			return queryReq("session-query", w.table, "byPlayer", "player", fmt.Sprintf("player%05d", r.IntN(w.p.players)), 10)
		}
		sid := fmt.Sprintf("s%d-%d", i, n)
		ring[n%len(ring)] = live{sid: sid, at: now}
		n++
		req := putReq(w.table, item{"sid": sid, "player": fmt.Sprintf("player%05d", r.IntN(w.p.players)),
			"started": now.UnixMilli(), "expiresAt": now.Add(ttl).Unix(), "phase": "lobby", "moves": int64(0), "v": val})
		req.kind = "session-put"
		return req
	}
}
