package resolvers

import (
	"github.com/shoaldb/shoal/graph"
	"github.com/shoaldb/shoal/graph/model"
)

// Complexity costs. A field costs 1 plus its children, except the fields
// below, whose cost grows with the number of items or actions they touch:
// a page of items costs its page size times what is selected of it.
const (
	// defaultPageCost is the page size assumed for a query or scan without
	// a limit (the page then ends at 1 MB read).
	defaultPageCost = 100
	// defaultTablesCost is the page size of tables without a limit.
	defaultTablesCost = 100
)

func setComplexity(c *graph.ComplexityRoot) {
	page := func(child int, limit *int, def int) int {
		n := def
		if limit != nil && *limit > 0 {
			n = *limit
		}
		return 1 + n*max(child, 1)
	}
	c.Query.Query = func(child int, _ string, _ *string, _ *model.JSON, _ *model.SortKeyInput, _ *model.ExpressionInput, _ *model.ConditionInput, _ []string, _ *bool, limit *int, _ model.Cursor, _ *bool, _ *bool) int {
		return page(child, limit, defaultPageCost)
	}
	c.Query.Scan = func(child int, _ string, _ *string, _ *model.ConditionInput, _ []string, _ *int, _ *int, limit *int, _ model.Cursor, _ *bool, _ *bool) int {
		return page(child, limit, defaultPageCost)
	}
	c.Query.Tables = func(child int, limit *int, _ model.Cursor) int {
		return page(child, limit, defaultTablesCost)
	}
	c.Query.BatchGetItems = func(child int, requests []model.BatchGetRequestInput, _ *bool) int {
		n := 0
		for _, r := range requests {
			n += len(r.Keys)
		}
		return 1 + n*max(child, 1)
	}
	c.Query.TransactGetItems = func(child int, requests []model.TransactGetInput, _ *bool) int {
		return 1 + len(requests)*max(child, 1)
	}
	c.Mutation.BatchWriteItems = func(child int, input model.BatchWriteItemsInput) int {
		return 1 + len(input.Requests) + child
	}
	c.Mutation.TransactWriteItems = func(child int, input model.TransactWriteItemsInput) int {
		return 1 + len(input.Actions) + child
	}
}
