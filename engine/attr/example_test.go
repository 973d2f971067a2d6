package attr_test

import (
	"fmt"

	"github.com/shoaldb/shoal/engine/attr"
)

func Example() {
	item, err := attr.ParseItemJSON([]byte(`{"id": "u1", "age": 42.0, "tags": {"$ss": ["a", "b"]}, "pic": {"$b": "AQI="}}`))
	if err != nil {
		panic(err)
	}
	if err := attr.ValidateItem(item); err != nil {
		panic(err)
	}
	stored := attr.EncodeItem(nil, item)
	back, err := attr.DecodeItem(stored)
	if err != nil {
		panic(err)
	}
	fmt.Println(attr.Equal(item, back))
	fmt.Println(string(attr.AppendJSON(nil, back)))
	fmt.Println(string(attr.AppendDynamoJSONItem(nil, back)))
	fmt.Println(attr.ItemSize(back))

	n, _ := attr.ParseNumber("0.1")
	sum, _ := n.Add(attr.NumberFromInt64(2))
	fmt.Println(sum)
	// Output:
	// true
	// {"age":42,"id":"u1","pic":{"$b":"AQI="},"tags":{"$ss":["a","b"]}}
	// {"age":{"N":"42"},"id":{"S":"u1"},"pic":{"B":"AQI="},"tags":{"SS":["a","b"]}}
	// 20
	// 2.1
}
