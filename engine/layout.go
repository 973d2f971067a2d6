package engine

import "encoding/binary"

// Key spaces. Every key starts with one byte naming its space:
//
//	0x00 'T' name                        → current definition of table `name`
//	0x00 'H' id(8) version(8)            → every version of every table definition
//	0x00 'I'                             → the last table id handed out
//	0x00 'K' token                       → transaction idempotency record (txn.go)
//	0x00 'S' len(ns) ns key              → Meta: namespaced system state (meta.go)
//	0x01 id(8) 0x01 enc(pk) enc(sk)      → item (binary form)
//	0x01 id(8) 0x02 index(4) enc(ipk) enc(isk) enc(pk) enc(sk) → index entry
//	0x01 id(8) 0x03 seq(8)               → change record
//	0x01 id(8) 0x04 expiry(8) enc(pk) enc(sk) → TTL schedule entry
//	0x01 id(8) 0x05 name                 → per-table state (backfill progress, trim mark, replication checkpoints, acks and seeding)
//	0x01 id(8) 0x06 enc(pk) enc(sk)      → global tables: item version or tombstone (hlc · flags · region)
//	0x01 id(8) 0x07 hlc(8) enc(pk) enc(sk) → global tables: tombstone removal schedule
//
// Table ids are never reused, so dropping a table is DropPrefix(0x01 id).
const (
	spaceSystem byte = 0x00
	spaceTable  byte = 0x01

	sysTable   byte = 'T'
	sysHistory byte = 'H'
	sysTableID byte = 'I'
	sysToken   byte = 'K'
	sysMeta    byte = 'S'

	tabItems  byte = 0x01
	tabIndex  byte = 0x02
	tabStream byte = 0x03
	tabTTL    byte = 0x04
	tabState  byte = 0x05
	tabVer    byte = 0x06
	tabTomb   byte = 0x07
)

func catalogKey(name string) []byte {
	k := make([]byte, 0, 2+len(name))
	return append(append(k, spaceSystem, sysTable), name...)
}

func catalogPrefix() []byte { return []byte{spaceSystem, sysTable} }

func historyKey(id, version uint64) []byte {
	k := make([]byte, 2, 18)
	k[0], k[1] = spaceSystem, sysHistory
	k = binary.BigEndian.AppendUint64(k, id)
	return binary.BigEndian.AppendUint64(k, version)
}

func tableIDKey() []byte { return []byte{spaceSystem, sysTableID} }

// tablePrefix is the prefix of everything a table stores.
func tablePrefix(id uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{spaceTable}, id)
}

// spacePrefix is the prefix of one of a table's key spaces.
func spacePrefix(dst []byte, id uint64, space byte) []byte {
	dst = append(dst, spaceTable)
	dst = binary.BigEndian.AppendUint64(dst, id)
	return append(dst, space)
}

// indexPrefix is the prefix of one index's entries.
func indexPrefix(dst []byte, id uint64, index uint32) []byte {
	dst = spacePrefix(dst, id, tabIndex)
	return binary.BigEndian.AppendUint32(dst, index)
}

// prefixEnd returns the smallest key greater than every key that starts
// with p, or nil when there is none (p is all 0xFF).
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
