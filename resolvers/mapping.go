package resolvers

import (
	"strconv"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/graph/model"
)

// This file maps the engine's table types to and from the GraphQL models.

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func keyTypeIn(t model.KeyType) attr.Type {
	switch t {
	case model.KeyTypeN:
		return attr.TypeN
	case model.KeyTypeB:
		return attr.TypeB
	}
	return attr.TypeS
}

func keyTypeOut(t attr.Type) model.KeyType {
	switch t {
	case attr.TypeN:
		return model.KeyTypeN
	case attr.TypeB:
		return model.KeyTypeB
	}
	return model.KeyTypeS
}

func keyAttrIn(k *model.KeyAttributeInput) *engine.KeyAttribute {
	if k == nil {
		return nil
	}
	return &engine.KeyAttribute{Name: k.Name, Type: keyTypeIn(k.Type)}
}

func projectionIn(p *model.ProjectionInput) engine.Projection {
	if p == nil {
		return engine.Projection{Type: engine.ProjectAll}
	}
	return engine.Projection{Type: engine.ProjectionType(p.Type), NonKeyAttributes: p.NonKeyAttributes}
}

func globalIndexIn(in model.GlobalIndexInput) engine.IndexSpec {
	spec := engine.IndexSpec{Name: in.Name, Projection: projectionIn(in.Projection)}
	if pk := keyAttrIn(in.PartitionKey); pk != nil {
		spec.KeySchema.Partition = *pk
	}
	spec.KeySchema.Sort = keyAttrIn(in.SortKey)
	return spec
}

func streamViewIn(s model.StreamViewType) engine.StreamViewType {
	if s == model.StreamViewTypeOff {
		return engine.StreamOff
	}
	return engine.StreamViewType(s)
}

func streamViewOut(s engine.StreamViewType) model.StreamViewType {
	if s == engine.StreamOff {
		return model.StreamViewTypeOff
	}
	return model.StreamViewType(s)
}

func tableSpecIn(in model.CreateTableInput) engine.TableSpec {
	spec := engine.TableSpec{
		Name:         in.Name,
		StreamView:   streamViewIn(deref(in.StreamViewType)),
		TTLAttribute: deref(in.TTLAttribute),
	}
	if pk := keyAttrIn(in.PartitionKey); pk != nil {
		spec.KeySchema.Partition = *pk
	}
	spec.KeySchema.Sort = keyAttrIn(in.SortKey)
	for _, g := range in.GlobalIndexes {
		spec.GlobalIndexes = append(spec.GlobalIndexes, globalIndexIn(g))
	}
	for _, l := range in.LocalIndexes {
		ix := engine.IndexSpec{Name: l.Name, Projection: projectionIn(l.Projection)}
		ix.KeySchema.Partition = spec.KeySchema.Partition
		ix.KeySchema.Sort = keyAttrIn(l.SortKey)
		spec.LocalIndexes = append(spec.LocalIndexes, ix)
	}
	spec.Replicas = replicasIn(in.Replicas)
	return spec
}

func replicasIn(in []model.ReplicaInput) []engine.Replica {
	var out []engine.Replica
	for _, r := range in {
		out = append(out, engine.Replica{Region: r.Region, Address: deref(r.Address)})
	}
	return out
}

func keySchemaOut(k engine.KeySchema) *model.KeySchema {
	out := &model.KeySchema{PartitionKey: &model.KeyAttribute{Name: k.Partition.Name, Type: keyTypeOut(k.Partition.Type)}}
	if k.Sort != nil {
		out.SortKey = &model.KeyAttribute{Name: k.Sort.Name, Type: keyTypeOut(k.Sort.Type)}
	}
	return out
}

func indexesOut(ixs []engine.IndexDescription) []model.Index {
	out := make([]model.Index, len(ixs))
	for i, ix := range ixs {
		proj := ix.Projection
		if proj.Type == "" {
			proj.Type = engine.ProjectAll
		}
		status := model.IndexStatus(ix.Status)
		if status == "" {
			status = model.IndexStatusActive
		}
		out[i] = model.Index{
			Name:      ix.Name,
			KeySchema: keySchemaOut(ix.KeySchema),
			Projection: &model.Projection{
				Type:             model.ProjectionType(proj.Type),
				NonKeyAttributes: append([]string{}, proj.NonKeyAttributes...),
			},
			Status: status,
			Local:  ix.Local,
		}
	}
	return out
}

func tableOut(d *engine.TableDescription) *model.Table {
	if d == nil {
		return nil
	}
	t := &model.Table{
		Name:           d.Name,
		KeySchema:      keySchemaOut(d.KeySchema),
		GlobalIndexes:  indexesOut(d.GlobalIndexes),
		LocalIndexes:   indexesOut(d.LocalIndexes),
		StreamViewType: streamViewOut(d.StreamView),
		CreatedAt:      d.CreatedAt,
		Version:        int(d.Version),
	}
	if d.TTLAttribute != "" {
		ttl := d.TTLAttribute
		t.TTLAttribute = &ttl
	}
	return t
}

func returnValuesIn(r *model.ReturnValues) engine.ReturnValues {
	if r == nil {
		return engine.ReturnNone
	}
	return engine.ReturnValues(*r)
}

func items(ms []attr.Item, typed bool) []model.JSON {
	out := make([]model.JSON, len(ms))
	for i, m := range ms {
		out[i] = model.NewItem(m, typed)
	}
	return out
}

func pageOut(p *engine.Page, typed bool) *model.ItemPage {
	out := &model.ItemPage{
		Items:            items(p.Items, typed),
		Count:            p.Count,
		ScannedCount:     p.ScannedCount,
		LastEvaluatedKey: model.NewItemPtr(p.LastEvaluatedKey, typed),
	}
	if len(p.Cursor) > 0 {
		out.Cursor = model.Cursor(p.Cursor)
	}
	return out
}

// watchInput maps the arguments of itemChanges to an engine watch.
func watchInput(table string, pk *model.JSON, sk *model.SortKeyInput, events []model.ChangeEvent, filter *model.ConditionInput, after model.Cursor, fromOldest, typed bool) (engine.WatchInput, error) {
	in := engine.WatchInput{Table: table, Cursor: after, FromLatest: after == nil && !fromOldest}
	if pk != nil || sk != nil {
		kc, err := toKeyCondition(pk, sk, nil, typed)
		if err != nil {
			return in, err
		}
		in.Keys = kc
	}
	for _, e := range events {
		in.Events = append(in.Events, engine.ChangeEvent(e))
	}
	cond, err := condition(filter, typed)
	if err != nil {
		return in, fieldError("filter", err)
	}
	in.Filter = cond
	return in, nil
}

// changeOut maps a change record to its GraphQL form.
func changeOut(c engine.Change, typed bool) *model.ItemChange {
	out := &model.ItemChange{
		Cursor:         model.Cursor(c.Cursor),
		SequenceNumber: strconv.FormatUint(c.Seq, 10),
		Event:          model.ChangeEvent(c.Event),
		Keys:           model.NewItem(c.Keys, typed),
		OldImage:       model.NewItemPtr(c.OldImage, typed),
		NewImage:       model.NewItemPtr(c.NewImage, typed),
		Time:           c.Time,
		Origin:         model.ChangeOriginUser,
	}
	if c.Origin == engine.OriginTTL {
		out.Origin = model.ChangeOriginTTL
	}
	if c.Region != "" {
		region := c.Region
		out.Region = &region
	}
	if c.Principal != "" {
		p := c.Principal
		out.Principal = &p
	}
	return out
}
