package dynamodbapi

import (
	"fmt"

	"github.com/shoaldb/shoal/engine/attr"
)

// consumedCapacity is DynamoDB's ConsumedCapacity.
type consumedCapacity struct {
	TableName              string               `json:"TableName,omitempty"`
	CapacityUnits          float64              `json:"CapacityUnits"`
	ReadCapacityUnits      *float64             `json:"ReadCapacityUnits,omitempty"`
	WriteCapacityUnits     *float64             `json:"WriteCapacityUnits,omitempty"`
	Table                  *capacity            `json:"Table,omitempty"`
	GlobalSecondaryIndexes map[string]*capacity `json:"GlobalSecondaryIndexes,omitempty"`
	LocalSecondaryIndexes  map[string]*capacity `json:"LocalSecondaryIndexes,omitempty"`
}

type capacity struct {
	CapacityUnits      float64  `json:"CapacityUnits"`
	ReadCapacityUnits  *float64 `json:"ReadCapacityUnits,omitempty"`
	WriteCapacityUnits *float64 `json:"WriteCapacityUnits,omitempty"`
}

// checkCapacity validates ReturnConsumedCapacity and remembers it.
func (c *call) checkCapacity(v string) error {
	switch v {
	case "", "NONE", "TOTAL", "INDEXES":
		c.capacity = v
		return nil
	}
	return validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]", v))
}

// wantsCapacity reports whether the response carries ConsumedCapacity.
func (c *call) wantsCapacity() bool { return c.capacity == "TOTAL" || c.capacity == "INDEXES" }

// Capacity units by DynamoDB's rules ("Read/write capacity mode"): a read
// is one unit per 4 KB (rounded up, at least one), half of that when
// eventually consistent; a write is one unit per 1 KB; transactional reads
// and writes cost twice as much.
const (
	readUnitBytes  = 4096
	writeUnitBytes = 1024
)

func units(size, per int) float64 {
	n := (size + per - 1) / per
	return float64(max(n, 1))
}

// readUnits is the cost of reading size bytes as one read.
func readUnits(size int, consistent bool) float64 {
	u := units(size, readUnitBytes)
	if !consistent {
		u /= 2
	}
	return u
}

// itemReadUnits is the cost of reading an item (absent: size 0).
func itemReadUnits(it attr.Item, consistent bool) float64 {
	return readUnits(attr.ItemSize(it), consistent)
}

// itemWriteUnits is the cost of a write: by the larger of the item before
// and after.
func itemWriteUnits(old, new attr.Item) float64 {
	return units(max(attr.ItemSize(old), attr.ItemSize(new)), writeUnitBytes)
}

// consumed builds the ConsumedCapacity of one table, or nil when the
// request did not ask for it.
func (c *call) consumed(table string, read, write float64) *consumedCapacity {
	if !c.wantsCapacity() {
		return nil
	}
	cc := &consumedCapacity{TableName: table, CapacityUnits: read + write}
	if read > 0 {
		cc.ReadCapacityUnits = &read
	}
	if write > 0 {
		cc.WriteCapacityUnits = &write
	}
	if c.capacity == "INDEXES" {
		cc.Table = &capacity{CapacityUnits: read + write, ReadCapacityUnits: cc.ReadCapacityUnits, WriteCapacityUnits: cc.WriteCapacityUnits}
	}
	return cc
}

// capacityList accumulates the capacity of a multi-table request, in the
// order the tables were first seen.
type capacityList struct {
	order []string
	read  map[string]float64
	write map[string]float64
}

func (l *capacityList) add(table string, read, write float64) {
	if l.read == nil {
		l.read, l.write = map[string]float64{}, map[string]float64{}
	}
	if _, ok := l.read[table]; !ok {
		l.order = append(l.order, table)
	}
	l.read[table] += read
	l.write[table] += write
}

func (l *capacityList) list(c *call) []*consumedCapacity {
	if !c.wantsCapacity() {
		return nil
	}
	out := make([]*consumedCapacity, 0, len(l.order))
	for _, t := range l.order {
		out = append(out, c.consumed(t, l.read[t], l.write[t]))
	}
	return out
}
