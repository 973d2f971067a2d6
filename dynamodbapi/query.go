package dynamodbapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
)

// readInput holds what Query and Scan share.
type readInput struct {
	TableName string `json:"TableName"`
	IndexName string `json:"IndexName"`
	exprAttributes
	FilterExpression       string                     `json:"FilterExpression"`
	ProjectionExpression   string                     `json:"ProjectionExpression"`
	AttributesToGet        []string                   `json:"AttributesToGet"`
	ConditionalOperator    string                     `json:"ConditionalOperator"`
	Select                 string                     `json:"Select"`
	Limit                  *int                       `json:"Limit"`
	ExclusiveStartKey      jsonItem                   `json:"ExclusiveStartKey"`
	ConsistentRead         bool                       `json:"ConsistentRead"`
	ReturnConsumedCapacity string                     `json:"ReturnConsumedCapacity"`
	QueryFilter            map[string]legacyCondition `json:"QueryFilter"`
	ScanFilter             map[string]legacyCondition `json:"ScanFilter"`
}

type queryInput struct {
	readInput
	KeyConditionExpression string                     `json:"KeyConditionExpression"`
	KeyConditions          map[string]legacyCondition `json:"KeyConditions"`
	ScanIndexForward       *bool                      `json:"ScanIndexForward"`
}

type scanInput struct {
	readInput
	Segment       *int `json:"Segment"`
	TotalSegments *int `json:"TotalSegments"`
}

type readOutput struct {
	Items            []jsonItem        `json:"Items,omitempty"`
	Count            int               `json:"Count"`
	ScannedCount     int               `json:"ScannedCount"`
	LastEvaluatedKey jsonItem          `json:"LastEvaluatedKey,omitempty"`
	ConsumedCapacity *consumedCapacity `json:"ConsumedCapacity,omitempty"`
}

// paging translates what Query and Scan share; filter is QueryFilter or
// ScanFilter, whichever the operation takes.
func (in *readInput) paging(p *expr.Params, filterName string, filter map[string]legacyCondition) (engine.Paging, error) {
	var pg engine.Paging
	if err := checkMixed(
		map[string]bool{filterName: filter != nil, "AttributesToGet": in.AttributesToGet != nil, "ConditionalOperator": in.ConditionalOperator != ""},
		map[string]bool{"FilterExpression": in.FilterExpression != "", "ProjectionExpression": in.ProjectionExpression != ""},
	); err != nil {
		return pg, err
	}
	var err error
	if in.FilterExpression != "" {
		if pg.Filter, err = p.Condition(in.FilterExpression); err != nil {
			return pg, asFilterError(err)
		}
	} else if pg.Filter, err = legacyFilter(filter, in.ConditionalOperator, false); err != nil {
		return pg, err
	}
	if pg.Projection, err = projection(p, &in.exprAttributes, in.ProjectionExpression, in.AttributesToGet); err != nil {
		return pg, err
	}
	switch in.Select {
	case "", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES":
		if in.Select != "" && pg.Projection != nil {
			return pg, validation("Cannot specify the AttributesToGet or ProjectionExpression when choosing to get " + in.Select)
		}
		if in.Select == "ALL_PROJECTED_ATTRIBUTES" && in.IndexName == "" {
			return pg, validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
		}
	case "COUNT":
		if pg.Projection != nil {
			return pg, validation("Cannot specify the AttributesToGet or ProjectionExpression when choosing to get COUNT")
		}
		pg.CountOnly = true
	case "SPECIFIC_ATTRIBUTES":
		if pg.Projection == nil {
			return pg, validation("Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
		}
	default:
		return pg, validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]", in.Select))
	}
	if in.Limit != nil {
		if *in.Limit < 1 {
			return pg, validation(fmt.Sprintf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.Limit))
		}
		pg.Limit = *in.Limit
	}
	if in.ExclusiveStartKey != nil {
		pg.ExclusiveStartKey = attr.Item(in.ExclusiveStartKey)
	}
	pg.ConsistentRead = in.ConsistentRead
	return pg, nil
}

func (h *Handler) readOutput(c *call, in *readInput, page *engine.Page) readOutput {
	out := readOutput{Count: page.Count, ScannedCount: page.ScannedCount,
		ConsumedCapacity: c.consumed(in.TableName, readUnits(page.ReadBytes, in.ConsistentRead), 0)}
	if in.Select != "COUNT" {
		out.Items = items(page.Items)
		if out.Items == nil {
			out.Items = []jsonItem{}
		}
	}
	if page.LastEvaluatedKey != nil {
		out.LastEvaluatedKey = jsonItem(page.LastEvaluatedKey)
	}
	if out.ConsumedCapacity != nil && c.capacity == "INDEXES" && in.IndexName != "" {
		// The read was of the index, not of the table.
		cu := out.ConsumedCapacity.CapacityUnits
		out.ConsumedCapacity.Table = &capacity{CapacityUnits: 0}
		idx := map[string]*capacity{in.IndexName: {CapacityUnits: cu, ReadCapacityUnits: out.ConsumedCapacity.ReadCapacityUnits}}
		if h.isLocalIndex(in) {
			out.ConsumedCapacity.LocalSecondaryIndexes = idx
		} else {
			out.ConsumedCapacity.GlobalSecondaryIndexes = idx
		}
	}
	return out
}

func (h *Handler) isLocalIndex(in *readInput) bool {
	d, err := h.db.DescribeTable(context.Background(), in.TableName)
	if err != nil {
		return false
	}
	for _, ix := range d.LocalIndexes {
		if ix.Name == in.IndexName {
			return true
		}
	}
	return false
}

// checkGlobalConsistentRead refuses ConsistentRead on a global secondary
// index, as DynamoDB does.
func checkGlobalConsistentRead(d *engine.TableDescription, in *readInput) error {
	if !in.ConsistentRead || in.IndexName == "" {
		return nil
	}
	for _, ix := range d.GlobalIndexes {
		if ix.Name == in.IndexName {
			return validation("Consistent reads are not supported on global secondary indexes")
		}
	}
	return nil
}

// keySchemaOf returns the key schema a Query reads by: the table's or the
// index's.
func keySchemaOf(d *engine.TableDescription, index string) (engine.KeySchema, error) {
	if index == "" {
		return d.KeySchema, nil
	}
	for _, ixs := range [][]engine.IndexDescription{d.GlobalIndexes, d.LocalIndexes} {
		for _, ix := range ixs {
			if ix.Name == index {
				return ix.KeySchema, nil
			}
		}
	}
	return engine.KeySchema{}, validation("The table does not have the specified index: " + index)
}

func (h *Handler) query(ctx context.Context, c *call) (any, error) {
	var in queryInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := needTableName(in.TableName); err != nil {
		return nil, err
	}
	if err := c.checkCapacity(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	if in.ScanFilter != nil {
		return nil, validation("ScanFilter is not a parameter of Query; use QueryFilter")
	}
	p := in.params()
	if err := checkMixed(map[string]bool{"KeyConditions": in.KeyConditions != nil},
		map[string]bool{"KeyConditionExpression": in.KeyConditionExpression != ""}); err != nil {
		return nil, err
	}
	pg, err := in.paging(p, "QueryFilter", in.QueryFilter)
	if err != nil {
		return nil, err
	}
	// Authorization comes before the table is looked at, so that a denied
	// caller learns nothing of whether the table or the index exists.
	if pg.Restrict, err = h.authorize(ctx, c, &Access{Action: "dynamodb:Query", Table: in.TableName, Index: in.IndexName,
		Attributes: projectionNames(pg.Projection), Select: in.Select}); err != nil {
		return nil, err
	}
	d, err := h.db.DescribeTable(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	ks, err := keySchemaOf(d, in.IndexName)
	if err != nil {
		return nil, err
	}
	var kc *expr.KeyCondition
	switch {
	case in.KeyConditionExpression != "":
		kc, err = p.KeyCondition(in.KeyConditionExpression)
	case in.KeyConditions != nil:
		kc, err = legacyKeyCondition(in.KeyConditions, ks.Partition.Name)
	default:
		err = validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	if err != nil {
		return nil, err
	}
	if err := checkParams(&in.exprAttributes, p, true); err != nil {
		return nil, err
	}
	if err := checkGlobalConsistentRead(d, &in.readInput); err != nil {
		return nil, err
	}
	pg.Backward = in.ScanIndexForward != nil && !*in.ScanIndexForward
	page, err := h.db.Query(ctx, engine.QueryInput{Table: in.TableName, Index: in.IndexName, KeyCondition: kc, Paging: pg})
	if err != nil {
		return nil, err
	}
	return h.readOutput(c, &in.readInput, page), nil
}

func (h *Handler) scan(ctx context.Context, c *call) (any, error) {
	var in scanInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := needTableName(in.TableName); err != nil {
		return nil, err
	}
	if err := c.checkCapacity(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	if in.QueryFilter != nil {
		return nil, validation("QueryFilter is not a parameter of Scan; use ScanFilter")
	}
	p := in.params()
	pg, err := in.paging(p, "ScanFilter", in.ScanFilter)
	if err != nil {
		return nil, err
	}
	if err := checkParams(&in.exprAttributes, p, in.FilterExpression != "" || in.ProjectionExpression != ""); err != nil {
		return nil, err
	}
	req := engine.ScanInput{Table: in.TableName, Index: in.IndexName, Paging: pg}
	switch {
	case in.Segment == nil && in.TotalSegments == nil:
	case in.Segment == nil || in.TotalSegments == nil:
		return nil, validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
	case *in.TotalSegments < 1 || *in.TotalSegments > 1000000:
		return nil, validation(fmt.Sprintf("1 validation error detected: Value '%d' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000", *in.TotalSegments))
	case *in.Segment < 0 || *in.Segment >= *in.TotalSegments:
		return nil, validation(fmt.Sprintf("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", *in.Segment, *in.TotalSegments))
	default:
		req.Segment, req.TotalSegments = *in.Segment, *in.TotalSegments
	}
	if req.Restrict, err = h.authorize(ctx, c, &Access{Action: "dynamodb:Scan", Table: in.TableName, Index: in.IndexName,
		Attributes: projectionNames(pg.Projection), Select: in.Select}); err != nil {
		return nil, err
	}
	if in.IndexName != "" && in.ConsistentRead {
		d, err := h.db.DescribeTable(ctx, in.TableName)
		if err != nil {
			return nil, err
		}
		if err := checkGlobalConsistentRead(d, &in.readInput); err != nil {
			return nil, err
		}
	}
	page, err := h.db.Scan(ctx, req)
	if err != nil {
		return nil, err
	}
	return h.readOutput(c, &in.readInput, page), nil
}

// asFilterError words a condition's parse error as DynamoDB does for a
// FilterExpression.
func asFilterError(err error) error {
	return validation(strings.Replace(messageOf(err), "Invalid ConditionExpression", "Invalid FilterExpression", 1))
}
