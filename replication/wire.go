// Package replication ships the changes of global tables between regions
// (docs/GLOBAL_TABLES.md): a Manager runs one shipper per (global table,
// peer region) that reads the local change log from the peer's checkpoint
// and POSTs batches of this region's changes to the peer's replication
// endpoint, and serves that endpoint (Handler) for the peers' shippers.
package replication

import (
	"fmt"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
)

// The endpoint paths, under the server's root.
const (
	PathCheckpoint = "/replication/v1/checkpoint"
	PathCreate     = "/replication/v1/create"
	PathApply      = "/replication/v1/apply"
	PathStats      = "/replication/v1/stats"
)

// wireChange is one change on the wire: key and item in the attr binary
// form, so that the receiver stores exactly the origin's bytes.
type wireChange struct {
	Seq    uint64 `json:"seq,omitempty"`
	Key    []byte `json:"key"`
	Item   []byte `json:"item,omitempty"` // absent: a delete
	HLC    uint64 `json:"hlc"`
	Region string `json:"region"`
	Origin string `json:"origin,omitempty"`
}

// applyRequest is one batch from a source region.
type applyRequest struct {
	Table    string                 `json:"table"`
	Source   string                 `json:"source"`
	Settings *engine.GlobalSettings `json:"settings,omitempty"`
	Changes  []wireChange           `json:"changes,omitempty"`
	UpTo     uint64                 `json:"upTo,omitempty"`
	// Seed marks the batches of a seeding snapshot; SeedDone ends it.
	Seed     bool      `json:"seed,omitempty"`
	SeedDone *seedDone `json:"seedDone,omitempty"`
}

type seedDone struct {
	Mark        uint64            `json:"mark"`
	Checkpoints map[string]uint64 `json:"checkpoints,omitempty"`
}

type applyResponse struct {
	Checkpoint uint64 `json:"checkpoint"`
	Applied    int    `json:"applied"`
	Skipped    int    `json:"skipped"`
}

type createRequest struct {
	Definition []byte `json:"definition"`
}

type errorResponse struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func encodeChange(c engine.ReplicatedChange) wireChange {
	w := wireChange{Seq: c.Seq, Key: attr.EncodeItem(nil, c.Keys), HLC: c.Version.HLC, Region: c.Version.Region, Origin: string(c.Origin)}
	if c.NewImage != nil {
		w.Item = attr.EncodeItem(nil, c.NewImage)
	}
	return w
}

func decodeChange(w wireChange) (engine.ReplicatedChange, error) {
	c := engine.ReplicatedChange{Seq: w.Seq, Version: engine.Version{HLC: w.HLC, Region: w.Region}, Origin: engine.Origin(w.Origin)}
	var err error
	if c.Keys, err = attr.DecodeItem(w.Key); err != nil {
		return c, fmt.Errorf("change key: %w", err)
	}
	if w.Item != nil {
		if c.NewImage, err = attr.DecodeItem(w.Item); err != nil {
			return c, fmt.Errorf("change item: %w", err)
		}
	}
	if w.HLC == 0 || w.Region == "" {
		return c, fmt.Errorf("change without a version")
	}
	return c, nil
}
