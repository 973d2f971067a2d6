package engine

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/shoaldb/shoal/engine/attr"
	"github.com/stretchr/testify/require"
)

// A single-key register with Put, Get, Delete and a conditional update
// (compare-and-set), checked for linearizability with porcupine. The state of
// a key is its value, "" when the item is absent.

type linOp uint8

const (
	linGet linOp = iota
	linPut
	linDelete
	linCAS // SET v = :new, condition v = :expected
)

type linInput struct {
	op            linOp
	key           string
	value, expect string
}

type linOutput struct {
	value string // Get: the value read ("" when absent)
	ok    bool   // CAS: whether the condition held
}

var linModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(linInput).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(string), input.(linInput), output.(linOutput)
		switch in.op {
		case linGet:
			return out.value == s, s
		case linPut:
			return true, in.value
		case linDelete:
			return true, ""
		default: // linCAS
			if s != "" && s == in.expect {
				return out.ok, in.value
			}
			return !out.ok, s
		}
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(linInput), output.(linOutput)
		switch in.op {
		case linGet:
			return fmt.Sprintf("get(%s) -> %q", in.key, out.value)
		case linPut:
			return fmt.Sprintf("put(%s, %s)", in.key, in.value)
		case linDelete:
			return fmt.Sprintf("delete(%s)", in.key)
		default:
			return fmt.Sprintf("cas(%s, %s -> %s) -> %v", in.key, in.expect, in.value, out.ok)
		}
	},
}

func TestLinearizableSingleItemOperations(t *testing.T) {
	clients, opsPerClient := 8, 200
	if testing.Short() {
		opsPerClient = 60
	}
	ctx := context.Background()
	db := openTestDB(t, func(o *Options) { o.MaxRetries = 10000 })
	createTable(t, db, TableSpec{Name: "Register", KeySchema: hashKey("k", attr.TypeS)})
	keys := []string{"x", "y", "z"}

	start := time.Now()
	clock := func() int64 { return int64(time.Since(start)) }
	var mu sync.Mutex
	var history []porcupine.Operation
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(c) + 7))
			lastSeen := map[string]string{}
			for i := range opsPerClient {
				key := keys[rng.Intn(len(keys))]
				in := linInput{key: key, value: fmt.Sprintf("c%d-%d", c, i)}
				var out linOutput
				var err error
				item := attr.Item{"k": attr.S(key)}
				call := clock()
				switch r := rng.Intn(10); {
				case r < 4:
					in.op = linGet
					var got attr.Item
					got, err = db.GetItem(ctx, GetItemInput{Table: "Register", Key: item})
					if v, ok := got["v"].(attr.S); ok {
						out.value = string(v)
					}
					lastSeen[key] = out.value
				case r < 6:
					in.op = linPut
					_, err = db.PutItem(ctx, PutItemInput{Table: "Register", Item: attr.Item{"k": attr.S(key), "v": attr.S(in.value)}})
					lastSeen[key] = in.value
				case r < 7:
					in.op = linDelete
					_, err = db.DeleteItem(ctx, DeleteItemInput{Table: "Register", Key: item})
				default:
					in.op = linCAS
					in.expect = lastSeen[key]
					if in.expect == "" || rng.Intn(4) == 0 {
						in.expect = fmt.Sprintf("c%d-%d", rng.Intn(clients), rng.Intn(i+1))
					}
					_, err = db.UpdateItem(ctx, UpdateItemInput{Table: "Register", Key: item,
						Update:    ixUpdate("SET v = :new", vals(":new", attr.S(in.value))),
						Condition: ixCond("v = :expected", vals(":expected", attr.S(in.expect)))})
					out.ok = err == nil
					if out.ok {
						lastSeen[key] = in.value
					}
					if CodeOf(err) == CodeConditionalCheckFailed {
						err = nil
					}
				}
				ret := clock()
				if err != nil {
					t.Errorf("client %d: %v", c, err)
					return
				}
				mu.Lock()
				history = append(history, porcupine.Operation{ClientId: c, Input: in, Call: call, Output: out, Return: ret})
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	require.False(t, t.Failed())
	ran := time.Since(start)
	require.Len(t, history, clients*opsPerClient)
	cas := 0
	for _, op := range history {
		if op.Input.(linInput).op == linCAS && op.Output.(linOutput).ok {
			cas++
		}
	}
	checkStart := time.Now()
	res := porcupine.CheckOperationsTimeout(linModel, history, time.Minute)
	require.Equal(t, porcupine.Ok, res, "the history is not linearizable")
	t.Logf("%d operations (%d successful conditional updates) in %v; checked in %v", len(history), cas, ran, time.Since(checkStart))

	// The checker itself rejects a history that is not linearizable.
	bad := []porcupine.Operation{
		{Input: linInput{op: linPut, key: "x", value: "a"}, Call: 0, Output: linOutput{}, Return: 1},
		{Input: linInput{op: linGet, key: "x"}, Call: 2, Output: linOutput{value: ""}, Return: 3},
	}
	require.False(t, porcupine.CheckOperations(linModel, bad))
}
