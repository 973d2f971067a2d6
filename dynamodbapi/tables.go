package dynamodbapi

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
)

// The shapes of table descriptions, as DynamoDB's API reference gives them.

type attributeDefinition struct {
	AttributeName string `json:"AttributeName"`
	AttributeType string `json:"AttributeType"`
}

type keySchemaElement struct {
	AttributeName string `json:"AttributeName"`
	KeyType       string `json:"KeyType"`
}

type projectionShape struct {
	ProjectionType   string   `json:"ProjectionType,omitempty"`
	NonKeyAttributes []string `json:"NonKeyAttributes,omitempty"`
}

type provisionedThroughput struct {
	ReadCapacityUnits      int64 `json:"ReadCapacityUnits"`
	WriteCapacityUnits     int64 `json:"WriteCapacityUnits"`
	NumberOfDecreasesToday int64 `json:"NumberOfDecreasesToday"`
}

type indexShape struct {
	IndexName             string                 `json:"IndexName"`
	KeySchema             []keySchemaElement     `json:"KeySchema"`
	Projection            projectionShape        `json:"Projection"`
	IndexStatus           string                 `json:"IndexStatus,omitempty"`
	Backfilling           *bool                  `json:"Backfilling,omitempty"`
	ProvisionedThroughput *provisionedThroughput `json:"ProvisionedThroughput,omitempty"`
	IndexSizeBytes        int64                  `json:"IndexSizeBytes"`
	ItemCount             int64                  `json:"ItemCount"`
	IndexArn              string                 `json:"IndexArn"`
}

type streamSpecification struct {
	StreamEnabled  bool   `json:"StreamEnabled"`
	StreamViewType string `json:"StreamViewType,omitempty"`
}

type billingModeSummary struct {
	BillingMode                       string  `json:"BillingMode"`
	LastUpdateToPayPerRequestDateTime float64 `json:"LastUpdateToPayPerRequestDateTime"`
}

type tableDescription struct {
	TableName              string                `json:"TableName"`
	TableStatus            string                `json:"TableStatus"`
	TableArn               string                `json:"TableArn"`
	TableId                string                `json:"TableId"`
	AttributeDefinitions   []attributeDefinition `json:"AttributeDefinitions"`
	KeySchema              []keySchemaElement    `json:"KeySchema"`
	CreationDateTime       float64               `json:"CreationDateTime"`
	ItemCount              int64                 `json:"ItemCount"`
	TableSizeBytes         int64                 `json:"TableSizeBytes"`
	ProvisionedThroughput  provisionedThroughput `json:"ProvisionedThroughput"`
	BillingModeSummary     billingModeSummary    `json:"BillingModeSummary"`
	GlobalSecondaryIndexes []indexShape          `json:"GlobalSecondaryIndexes,omitempty"`
	LocalSecondaryIndexes  []indexShape          `json:"LocalSecondaryIndexes,omitempty"`
	StreamSpecification    *streamSpecification  `json:"StreamSpecification,omitempty"`
	LatestStreamArn        string                `json:"LatestStreamArn,omitempty"`
	LatestStreamLabel      string                `json:"LatestStreamLabel,omitempty"`
	DeletionProtection     bool                  `json:"DeletionProtectionEnabled"`
}

func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func keySchemaShape(ks engine.KeySchema) []keySchemaElement {
	out := []keySchemaElement{{ks.Partition.Name, "HASH"}}
	if ks.Sort != nil {
		out = append(out, keySchemaElement{ks.Sort.Name, "RANGE"})
	}
	return out
}

// streamLabel is the stream's label: the table's creation time, as
// DynamoDB labels streams by their creation time.
func streamLabel(d *engine.TableDescription) string {
	return d.CreatedAt.UTC().Format("2006-01-02T15:04:05.000")
}

func (h *Handler) streamARN(d *engine.TableDescription) string {
	return h.tableARN(d.Name) + "/stream/" + streamLabel(d)
}

// describe builds DynamoDB's TableDescription; sizes are measured only
// when withSize.
func (h *Handler) describe(ctx context.Context, d *engine.TableDescription, status string, withSize bool) (*tableDescription, error) {
	out := &tableDescription{
		TableName:          d.Name,
		TableStatus:        status,
		TableArn:           h.tableARN(d.Name),
		TableId:            fmt.Sprintf("00000000-0000-4000-8000-%012x", d.ID),
		KeySchema:          keySchemaShape(d.KeySchema),
		CreationDateTime:   epochSeconds(d.CreatedAt),
		BillingModeSummary: billingModeSummary{BillingMode: "PAY_PER_REQUEST", LastUpdateToPayPerRequestDateTime: epochSeconds(d.CreatedAt)},
	}
	seen := map[string]bool{}
	addDefs := func(ks engine.KeySchema) {
		for _, ka := range []*engine.KeyAttribute{&ks.Partition, ks.Sort} {
			if ka != nil && !seen[ka.Name] {
				seen[ka.Name] = true
				out.AttributeDefinitions = append(out.AttributeDefinitions, attributeDefinition{ka.Name, ka.Type.String()})
			}
		}
	}
	addDefs(d.KeySchema)
	for _, ix := range d.GlobalIndexes {
		addDefs(ix.KeySchema)
		s := h.indexShape(d, ix)
		s.IndexStatus = string(ix.Status)
		if ix.Status == engine.IndexCreating {
			t := true
			s.Backfilling = &t
		}
		s.ProvisionedThroughput = &provisionedThroughput{}
		out.GlobalSecondaryIndexes = append(out.GlobalSecondaryIndexes, s)
	}
	for _, ix := range d.LocalIndexes {
		addDefs(ix.KeySchema)
		out.LocalSecondaryIndexes = append(out.LocalSecondaryIndexes, h.indexShape(d, ix))
	}
	if d.StreamView != engine.StreamOff {
		out.StreamSpecification = &streamSpecification{StreamEnabled: true, StreamViewType: string(d.StreamView)}
		out.LatestStreamArn = h.streamARN(d)
		out.LatestStreamLabel = streamLabel(d)
	}
	if withSize {
		n, size, err := h.db.TableSize(ctx, d.Name)
		if err != nil {
			return nil, err
		}
		out.ItemCount, out.TableSizeBytes = n, size
	}
	return out, nil
}

func (h *Handler) indexShape(d *engine.TableDescription, ix engine.IndexDescription) indexShape {
	return indexShape{
		IndexName:  ix.Name,
		KeySchema:  keySchemaShape(ix.KeySchema),
		Projection: projectionShape{ProjectionType: string(ix.Projection.Type), NonKeyAttributes: ix.Projection.NonKeyAttributes},
		IndexArn:   h.tableARN(d.Name) + "/index/" + ix.Name,
	}
}

// ---------------------------------------------------------------- CreateTable

type indexInput struct {
	IndexName  string             `json:"IndexName"`
	KeySchema  []keySchemaElement `json:"KeySchema"`
	Projection *projectionShape   `json:"Projection"`
}

type createTableInput struct {
	TableName              string                `json:"TableName"`
	AttributeDefinitions   []attributeDefinition `json:"AttributeDefinitions"`
	KeySchema              []keySchemaElement    `json:"KeySchema"`
	LocalSecondaryIndexes  []indexInput          `json:"LocalSecondaryIndexes"`
	GlobalSecondaryIndexes []indexInput          `json:"GlobalSecondaryIndexes"`
	BillingMode            string                `json:"BillingMode"`
	StreamSpecification    *streamSpecification  `json:"StreamSpecification"`
}

type tableOutput struct {
	TableDescription *tableDescription `json:"TableDescription"`
}

// keySchemaFrom translates a KeySchema with its AttributeDefinitions and
// records which definitions were used.
func keySchemaFrom(what string, elems []keySchemaElement, defs map[string]string, used map[string]bool) (engine.KeySchema, error) {
	var ks engine.KeySchema
	if len(elems) == 0 || len(elems) > 2 {
		return ks, validation(fmt.Sprintf("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to 2, Member must have length greater than or equal to 1", what))
	}
	for i, e := range elems {
		typ, ok := defs[e.AttributeName]
		if !ok {
			return ks, invalidParam("Some index key attributes are not defined in AttributeDefinitions. Keys: [" + e.AttributeName + "], AttributeDefinitions: [" + strings.Join(sortedKeys(defs), ", ") + "]")
		}
		t, ok := attr.ParseType(typ)
		if !ok || (t != attr.TypeS && t != attr.TypeN && t != attr.TypeB) {
			return ks, invalidParam("Member must satisfy enum value set: [B, N, S] for attribute " + e.AttributeName)
		}
		used[e.AttributeName] = true
		ka := engine.KeyAttribute{Name: e.AttributeName, Type: t}
		switch {
		case i == 0 && e.KeyType == "HASH":
			ks.Partition = ka
		case i == 1 && e.KeyType == "RANGE":
			ks.Sort = &ka
		case e.KeyType != "HASH" && e.KeyType != "RANGE":
			return ks, validation(fmt.Sprintf("1 validation error detected: Value '%s' at '%s.%d.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]", e.KeyType, what, i+1))
		default:
			return ks, invalidParam("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
		}
	}
	return ks, nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func indexSpec(ix indexInput, defs map[string]string, used map[string]bool) (engine.IndexSpec, error) {
	ks, err := keySchemaFrom("indexKeySchema", ix.KeySchema, defs, used)
	if err != nil {
		return engine.IndexSpec{}, err
	}
	spec := engine.IndexSpec{Name: ix.IndexName, KeySchema: ks, Projection: engine.Projection{Type: engine.ProjectAll}}
	if ix.Projection == nil {
		return spec, invalidParam("Projection is required for index " + ix.IndexName)
	}
	switch ix.Projection.ProjectionType {
	case "", "ALL":
	case "KEYS_ONLY", "INCLUDE":
		spec.Projection.Type = engine.ProjectionType(ix.Projection.ProjectionType)
	default:
		return spec, validation("1 validation error detected: Value '" + ix.Projection.ProjectionType + "' at 'projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]")
	}
	spec.Projection.NonKeyAttributes = ix.Projection.NonKeyAttributes
	if spec.Projection.Type != engine.ProjectInclude && len(spec.Projection.NonKeyAttributes) > 0 {
		return spec, invalidParam("ProjectionType is " + string(spec.Projection.Type) + ", but NonKeyAttributes is specified")
	}
	return spec, nil
}

func streamView(s *streamSpecification) (engine.StreamViewType, error) {
	if s == nil || !s.StreamEnabled {
		if s != nil && s.StreamViewType != "" && !s.StreamEnabled {
			return engine.StreamOff, validation("One or more parameter values were invalid: StreamViewType cannot be specified when StreamEnabled is false")
		}
		return engine.StreamOff, nil
	}
	switch v := engine.StreamViewType(s.StreamViewType); v {
	case engine.StreamKeysOnly, engine.StreamNewImage, engine.StreamOldImage, engine.StreamNewAndOldImage:
		return v, nil
	case "":
		return engine.StreamOff, validation("One or more parameter values were invalid: Enabled StreamSpecification requires a StreamViewType")
	}
	return engine.StreamOff, validation("1 validation error detected: Value '" + s.StreamViewType + "' at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]")
}

func (h *Handler) createTable(ctx context.Context, c *call) (any, error) {
	var in createTableInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := needTableName(in.TableName); err != nil {
		return nil, err
	}
	switch in.BillingMode {
	case "", "PAY_PER_REQUEST", "PROVISIONED":
	default:
		return nil, validation("1 validation error detected: Value '" + in.BillingMode + "' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")
	}
	defs := map[string]string{}
	for _, d := range in.AttributeDefinitions {
		if _, dup := defs[d.AttributeName]; dup {
			return nil, invalidParam("Duplicate AttributeName found in AttributeDefinitions: " + d.AttributeName)
		}
		defs[d.AttributeName] = d.AttributeType
	}
	used := map[string]bool{}
	ks, err := keySchemaFrom("keySchema", in.KeySchema, defs, used)
	if err != nil {
		return nil, err
	}
	spec := engine.TableSpec{Name: in.TableName, KeySchema: ks}
	for _, ix := range in.LocalSecondaryIndexes {
		s, err := indexSpec(ix, defs, used)
		if err != nil {
			return nil, err
		}
		spec.LocalIndexes = append(spec.LocalIndexes, s)
	}
	for _, ix := range in.GlobalSecondaryIndexes {
		s, err := indexSpec(ix, defs, used)
		if err != nil {
			return nil, err
		}
		spec.GlobalIndexes = append(spec.GlobalIndexes, s)
	}
	if len(used) != len(defs) {
		return nil, invalidParam("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	if spec.StreamView, err = streamView(in.StreamSpecification); err != nil {
		return nil, err
	}
	if _, err := h.authorize(ctx, c, &Access{Action: "dynamodb:CreateTable", Table: in.TableName}); err != nil {
		return nil, err
	}
	d, err := h.db.CreateTable(ctx, spec)
	if engine.CodeOf(err) == engine.CodeResourceInUse {
		return nil, newError(400, typeDynamoDB+"ResourceInUseException", "Table already exists: "+in.TableName)
	}
	if err != nil {
		return nil, err
	}
	td, err := h.describe(ctx, d, "ACTIVE", false)
	if err != nil {
		return nil, err
	}
	return tableOutput{TableDescription: td}, nil
}

// ---------------------------------------------------------------- DescribeTable, DeleteTable

type tableNameInput struct {
	TableName string `json:"TableName"`
}

type describeTableOutput struct {
	Table *tableDescription `json:"Table"`
}

// tableNotFound is DynamoDB's message for the table operations.
func tableNotFound(err error, name string) error {
	if engine.CodeOf(err) == engine.CodeNotFound {
		return notFound("Requested resource not found: Table: " + name + " not found")
	}
	return err
}

func (h *Handler) describeTable(ctx context.Context, c *call) (any, error) {
	var in tableNameInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := needTableName(in.TableName); err != nil {
		return nil, err
	}
	if _, err := h.authorize(ctx, c, &Access{Action: "dynamodb:DescribeTable", Table: in.TableName}); err != nil {
		return nil, err
	}
	d, err := h.db.DescribeTable(ctx, in.TableName)
	if err != nil {
		return nil, tableNotFound(err, in.TableName)
	}
	td, err := h.describe(ctx, d, "ACTIVE", true)
	if err != nil {
		return nil, tableNotFound(err, in.TableName)
	}
	return describeTableOutput{Table: td}, nil
}

func (h *Handler) deleteTable(ctx context.Context, c *call) (any, error) {
	var in tableNameInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := needTableName(in.TableName); err != nil {
		return nil, err
	}
	if _, err := h.authorize(ctx, c, &Access{Action: "dynamodb:DeleteTable", Table: in.TableName}); err != nil {
		return nil, err
	}
	d, err := h.db.DeleteTable(ctx, in.TableName)
	if err != nil {
		return nil, tableNotFound(err, in.TableName)
	}
	td, err := h.describe(ctx, d, "DELETING", false)
	if err != nil {
		return nil, err
	}
	return tableOutput{TableDescription: td}, nil
}

// ---------------------------------------------------------------- ListTables

type listTablesInput struct {
	ExclusiveStartTableName string `json:"ExclusiveStartTableName"`
	Limit                   *int   `json:"Limit"`
}

type listTablesOutput struct {
	TableNames             []string `json:"TableNames"`
	LastEvaluatedTableName string   `json:"LastEvaluatedTableName,omitempty"`
}

// listLimit is the page size of ListTables and ListStreams: Limit, from 1
// to 100, or 100 when absent.
func listLimit(limit *int) (int, error) {
	if limit == nil {
		return 100, nil
	}
	if *limit < 1 || *limit > 100 {
		return 0, validation(fmt.Sprintf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100", *limit))
	}
	return *limit, nil
}

func (h *Handler) listTables(ctx context.Context, c *call) (any, error) {
	var in listTablesInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	limit, err := listLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	if _, err := h.authorize(ctx, c, &Access{Action: "dynamodb:ListTables", Resource: "*"}); err != nil {
		return nil, err
	}
	names, next, err := h.db.ListTables(ctx, in.ExclusiveStartTableName, limit)
	if err != nil {
		return nil, err
	}
	if names == nil {
		names = []string{}
	}
	return listTablesOutput{TableNames: names, LastEvaluatedTableName: next}, nil
}

// ---------------------------------------------------------------- UpdateTable

type gsiUpdate struct {
	Create *indexInput `json:"Create"`
	Delete *struct {
		IndexName string `json:"IndexName"`
	} `json:"Delete"`
	Update *struct {
		IndexName string `json:"IndexName"`
	} `json:"Update"`
}

type updateTableInput struct {
	TableName                   string                `json:"TableName"`
	AttributeDefinitions        []attributeDefinition `json:"AttributeDefinitions"`
	GlobalSecondaryIndexUpdates []gsiUpdate           `json:"GlobalSecondaryIndexUpdates"`
	StreamSpecification         *streamSpecification  `json:"StreamSpecification"`
	BillingMode                 string                `json:"BillingMode"`
}

func (h *Handler) updateTable(ctx context.Context, c *call) (any, error) {
	var in updateTableInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := needTableName(in.TableName); err != nil {
		return nil, err
	}
	// Authorization first: a denied caller learns nothing of the table.
	if _, err := h.authorize(ctx, c, &Access{Action: "dynamodb:UpdateTable", Table: in.TableName}); err != nil {
		return nil, err
	}
	cur, err := h.db.DescribeTable(ctx, in.TableName)
	if err != nil {
		return nil, tableNotFound(err, in.TableName)
	}
	req := engine.UpdateTableInput{Name: in.TableName}
	defs := map[string]string{}
	for _, d := range in.AttributeDefinitions {
		defs[d.AttributeName] = d.AttributeType
	}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		switch {
		case u.Create != nil:
			if len(in.AttributeDefinitions) == 0 {
				return nil, validation("One or more parameter values were invalid: Table AttributeDefinitions must be provided when creating a global secondary index")
			}
			s, err := indexSpec(*u.Create, defs, map[string]bool{})
			if err != nil {
				return nil, err
			}
			req.CreateGlobalIndexes = append(req.CreateGlobalIndexes, s)
		case u.Delete != nil:
			found := false
			for _, ix := range cur.GlobalIndexes {
				found = found || ix.Name == u.Delete.IndexName
			}
			if !found {
				return nil, notFound("Requested resource not found: Index: " + u.Delete.IndexName + " not found for table: " + in.TableName)
			}
			req.DeleteGlobalIndexes = append(req.DeleteGlobalIndexes, u.Delete.IndexName)
		case u.Update != nil:
			// Throughput settings: nothing to change in Shoal.
		default:
			return nil, validation("One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Create, Update or Delete must be specified")
		}
	}
	if in.StreamSpecification != nil {
		v, err := streamView(in.StreamSpecification)
		if err != nil {
			return nil, err
		}
		switch {
		case v != engine.StreamOff && cur.StreamView != engine.StreamOff:
			return nil, validation("Table already has an enabled stream: TableName: " + in.TableName)
		case v == engine.StreamOff && cur.StreamView == engine.StreamOff:
			return nil, validation("Table already has no stream enabled: TableName: " + in.TableName)
		}
		req.StreamView = &v
	}
	d, err := h.db.UpdateTable(ctx, req)
	if err != nil {
		return nil, tableNotFound(err, in.TableName)
	}
	status := "ACTIVE"
	if len(req.CreateGlobalIndexes)+len(req.DeleteGlobalIndexes) > 0 {
		status = "UPDATING"
	}
	td, err := h.describe(ctx, d, status, false)
	if err != nil {
		return nil, err
	}
	return tableOutput{TableDescription: td}, nil
}

// ---------------------------------------------------------------- TTL

type ttlSpecification struct {
	Enabled       bool   `json:"Enabled"`
	AttributeName string `json:"AttributeName"`
}

type updateTTLInput struct {
	TableName               string            `json:"TableName"`
	TimeToLiveSpecification *ttlSpecification `json:"TimeToLiveSpecification"`
}

type updateTTLOutput struct {
	TimeToLiveSpecification ttlSpecification `json:"TimeToLiveSpecification"`
}

func (h *Handler) updateTimeToLive(ctx context.Context, c *call) (any, error) {
	var in updateTTLInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := needTableName(in.TableName); err != nil {
		return nil, err
	}
	spec := in.TimeToLiveSpecification
	if spec == nil || spec.AttributeName == "" {
		return nil, validation("1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null")
	}
	if _, err := h.authorize(ctx, c, &Access{Action: "dynamodb:UpdateTimeToLive", Table: in.TableName}); err != nil {
		return nil, err
	}
	cur, err := h.db.DescribeTable(ctx, in.TableName)
	if err != nil {
		return nil, tableNotFound(err, in.TableName)
	}
	switch {
	case spec.Enabled && cur.TTLAttribute != "":
		return nil, validation("TimeToLive is already enabled")
	case !spec.Enabled && cur.TTLAttribute == "":
		return nil, validation("TimeToLive is already disabled")
	case !spec.Enabled && cur.TTLAttribute != spec.AttributeName:
		return nil, validation("TimeToLive attribute name does not match the attribute name of the enabled TimeToLive: " + cur.TTLAttribute)
	}
	name := ""
	if spec.Enabled {
		name = spec.AttributeName
	}
	if _, err := h.db.UpdateTable(ctx, engine.UpdateTableInput{Name: in.TableName, TTLAttribute: &name}); err != nil {
		return nil, tableNotFound(err, in.TableName)
	}
	return updateTTLOutput{TimeToLiveSpecification: *spec}, nil
}

type ttlDescription struct {
	TimeToLiveStatus string `json:"TimeToLiveStatus"`
	AttributeName    string `json:"AttributeName,omitempty"`
}

type describeTTLOutput struct {
	TimeToLiveDescription ttlDescription `json:"TimeToLiveDescription"`
}

func (h *Handler) describeTimeToLive(ctx context.Context, c *call) (any, error) {
	var in tableNameInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := needTableName(in.TableName); err != nil {
		return nil, err
	}
	if _, err := h.authorize(ctx, c, &Access{Action: "dynamodb:DescribeTimeToLive", Table: in.TableName}); err != nil {
		return nil, err
	}
	d, err := h.db.DescribeTable(ctx, in.TableName)
	if err != nil {
		return nil, tableNotFound(err, in.TableName)
	}
	if d.TTLAttribute == "" {
		return describeTTLOutput{TimeToLiveDescription: ttlDescription{TimeToLiveStatus: "DISABLED"}}, nil
	}
	return describeTTLOutput{TimeToLiveDescription: ttlDescription{TimeToLiveStatus: "ENABLED", AttributeName: d.TTLAttribute}}, nil
}

// ---------------------------------------------------------------- DescribeEndpoints, DescribeLimits

func (h *Handler) describeEndpoints(ctx context.Context, c *call) (any, error) {
	return map[string]any{"Endpoints": []map[string]any{{"Address": "dynamodb." + h.opts.Region + ".amazonaws.com", "CachePeriodInMinutes": 1440}}}, nil
}

func (h *Handler) describeLimits(ctx context.Context, c *call) (any, error) {
	return map[string]any{"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
		"TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}, nil
}
