package dynamodbapi

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
)

// The DynamoDB Streams API over the engine's change log. Each table with a
// stream has one stream, labelled by the table's creation time, with one
// shard whose sequence numbers are the change log's, written as 21 digits
// so that they sort as strings too.

// shardID is the one shard of every stream.
const shardID = "shardId-00000000000000000001-00000000"

const seqDigits = 21

func formatSeq(seq uint64) string {
	s := strconv.FormatUint(seq, 10)
	return strings.Repeat("0", seqDigits-len(s)) + s
}

func parseSeq(s string) (uint64, error) {
	if s == "" || len(s) > 40 {
		return 0, validation("Invalid SequenceNumber: " + s)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, validation("Invalid SequenceNumber: " + s)
		}
	}
	n, err := strconv.ParseUint(strings.TrimLeft(s, "0")+"0", 10, 64)
	if err != nil {
		return 0, validation("Invalid SequenceNumber: " + s)
	}
	return n / 10, nil
}

// streamTable returns the table a stream ARN names and checks the label
// against the table's current stream.
func (h *Handler) streamTable(ctx context.Context, arn string) (*engine.TableDescription, error) {
	table, label, err := parseStreamARN(arn)
	if err != nil {
		return nil, err
	}
	d, err := h.db.DescribeTable(ctx, table)
	if err != nil || streamLabel(d) != label {
		return nil, notFound("Requested resource not found: Stream: " + arn + " not found")
	}
	return d, nil
}

// parseStreamARN returns the table and the label a stream ARN names,
// without looking at the database (authorization comes first, so that a
// denied caller learns nothing of whether the stream exists).
func parseStreamARN(arn string) (table, label string, err error) {
	if arn == "" {
		return "", "", validation("1 validation error detected: Value null at 'streamArn' failed to satisfy constraint: Member must not be null")
	}
	rest, ok := strings.CutPrefix(arn, "arn:aws:dynamodb:")
	_, rest, ok2 := strings.Cut(rest, ":table/")
	table, label, ok3 := strings.Cut(rest, "/stream/")
	if !ok || !ok2 || !ok3 {
		return "", "", validation("Invalid StreamArn")
	}
	return table, label, nil
}

// ---------------------------------------------------------------- ListStreams

type listStreamsInput struct {
	TableName               string `json:"TableName"`
	Limit                   *int   `json:"Limit"`
	ExclusiveStartStreamArn string `json:"ExclusiveStartStreamArn"`
}

type streamShape struct {
	StreamArn   string `json:"StreamArn"`
	TableName   string `json:"TableName"`
	StreamLabel string `json:"StreamLabel"`
}

type listStreamsOutput struct {
	Streams                []streamShape `json:"Streams"`
	LastEvaluatedStreamArn string        `json:"LastEvaluatedStreamArn,omitempty"`
}

func (h *Handler) listStreams(ctx context.Context, c *call) (any, error) {
	var in listStreamsInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	limit, err := listLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	if _, err := h.authorize(ctx, c, &Access{Action: "dynamodb:ListStreams", Table: in.TableName, Resource: "*"}); err != nil {
		return nil, err
	}
	out := listStreamsOutput{Streams: []streamShape{}}
	var tables []string
	if in.TableName != "" {
		tables = []string{in.TableName}
	} else {
		after := ""
		for {
			names, next, err := h.db.ListTables(ctx, after, 100)
			if err != nil {
				return nil, err
			}
			tables = append(tables, names...)
			if next == "" {
				break
			}
			after = next
		}
	}
	started := in.ExclusiveStartStreamArn == ""
	for _, t := range tables {
		d, err := h.db.DescribeTable(ctx, t)
		if err != nil {
			if in.TableName != "" {
				return nil, tableNotFound(err, t)
			}
			continue // deleted meanwhile
		}
		if d.StreamView == engine.StreamOff {
			continue
		}
		arn := h.streamARN(d)
		if !started {
			started = arn == in.ExclusiveStartStreamArn
			continue
		}
		if len(out.Streams) == limit {
			out.LastEvaluatedStreamArn = out.Streams[limit-1].StreamArn
			break
		}
		out.Streams = append(out.Streams, streamShape{StreamArn: arn, TableName: d.Name, StreamLabel: streamLabel(d)})
	}
	return out, nil
}

// ---------------------------------------------------------------- DescribeStream

type describeStreamInput struct {
	StreamArn             string `json:"StreamArn"`
	Limit                 *int   `json:"Limit"`
	ExclusiveStartShardId string `json:"ExclusiveStartShardId"`
}

type sequenceNumberRange struct {
	StartingSequenceNumber string `json:"StartingSequenceNumber"`
	EndingSequenceNumber   string `json:"EndingSequenceNumber,omitempty"`
}

type shardShape struct {
	ShardId             string              `json:"ShardId"`
	SequenceNumberRange sequenceNumberRange `json:"SequenceNumberRange"`
}

type streamDescription struct {
	StreamArn               string             `json:"StreamArn"`
	StreamLabel             string             `json:"StreamLabel"`
	StreamStatus            string             `json:"StreamStatus"`
	StreamViewType          string             `json:"StreamViewType,omitempty"`
	CreationRequestDateTime float64            `json:"CreationRequestDateTime"`
	TableName               string             `json:"TableName"`
	KeySchema               []keySchemaElement `json:"KeySchema"`
	Shards                  []shardShape       `json:"Shards"`
}

type describeStreamOutput struct {
	StreamDescription streamDescription `json:"StreamDescription"`
}

func (h *Handler) describeStream(ctx context.Context, c *call) (any, error) {
	var in describeStreamInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	table, _, err := parseStreamARN(in.StreamArn)
	if err != nil {
		return nil, err
	}
	if _, err := h.authorize(ctx, c, &Access{Action: "dynamodb:DescribeStream", Table: table, Resource: in.StreamArn}); err != nil {
		return nil, err
	}
	d, err := h.streamTable(ctx, in.StreamArn)
	if err != nil {
		return nil, err
	}
	b, err := h.db.ChangeBounds(ctx, d.Name)
	if err != nil {
		return nil, err
	}
	sd := streamDescription{
		StreamArn: in.StreamArn, StreamLabel: streamLabel(d), StreamStatus: "ENABLED",
		StreamViewType: string(d.StreamView), CreationRequestDateTime: epochSeconds(d.CreatedAt),
		TableName: d.Name, KeySchema: keySchemaShape(d.KeySchema), Shards: []shardShape{},
	}
	if d.StreamView == engine.StreamOff {
		sd.StreamStatus = "DISABLED"
	}
	if in.ExclusiveStartShardId != shardID {
		sd.Shards = append(sd.Shards, shardShape{ShardId: shardID, SequenceNumberRange: sequenceNumberRange{StartingSequenceNumber: formatSeq(b.Trimmed + 1)}})
	}
	return describeStreamOutput{StreamDescription: sd}, nil
}

// ---------------------------------------------------------------- shard iterators

// A shard iterator is opaque to clients: base64 of the table's id, the
// position (the sequence number last read) and the table's name. The id
// makes an iterator of a deleted and re-created table invalid.
type shardIterator struct {
	tableID uint64
	after   uint64
	table   string
}

func (it shardIterator) encode() string {
	b := binary.BigEndian.AppendUint64(nil, it.tableID)
	b = binary.BigEndian.AppendUint64(b, it.after)
	b = append(b, it.table...)
	return "shoal1:" + base64.RawURLEncoding.EncodeToString(b)
}

func decodeIterator(s string) (shardIterator, error) {
	raw, ok := strings.CutPrefix(s, "shoal1:")
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if !ok || err != nil || len(b) < 17 {
		return shardIterator{}, validation("Invalid ShardIterator")
	}
	return shardIterator{tableID: binary.BigEndian.Uint64(b), after: binary.BigEndian.Uint64(b[8:]), table: string(b[16:])}, nil
}

type getShardIteratorInput struct {
	StreamArn         string `json:"StreamArn"`
	ShardId           string `json:"ShardId"`
	ShardIteratorType string `json:"ShardIteratorType"`
	SequenceNumber    string `json:"SequenceNumber"`
}

type getShardIteratorOutput struct {
	ShardIterator string `json:"ShardIterator"`
}

func (h *Handler) getShardIterator(ctx context.Context, c *call) (any, error) {
	var in getShardIteratorInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	table, _, err := parseStreamARN(in.StreamArn)
	if err != nil {
		return nil, err
	}
	if _, err := h.authorize(ctx, c, &Access{Action: "dynamodb:GetShardIterator", Table: table, Resource: in.StreamArn}); err != nil {
		return nil, err
	}
	d, err := h.streamTable(ctx, in.StreamArn)
	if err != nil {
		return nil, err
	}
	if in.ShardId != shardID {
		return nil, notFound("Requested resource not found: Shard does not exist")
	}
	b, err := h.db.ChangeBounds(ctx, d.Name)
	if err != nil {
		return nil, err
	}
	it := shardIterator{tableID: d.ID, table: d.Name}
	withSeq := func() (uint64, error) {
		if in.SequenceNumber == "" {
			return 0, validation("SequenceNumber is required for ShardIteratorType " + in.ShardIteratorType)
		}
		seq, err := parseSeq(in.SequenceNumber)
		if err != nil {
			return 0, err
		}
		if seq > b.Latest+1 || seq == 0 {
			return 0, validation("Invalid SequenceNumber: " + in.SequenceNumber + " is beyond the end of the shard")
		}
		if seq <= b.Trimmed {
			return 0, newError(400, typeDynamoDB+"TrimmedDataAccessException", "The requested sequence number "+in.SequenceNumber+" is beyond the trim horizon of the shard")
		}
		return seq, nil
	}
	switch in.ShardIteratorType {
	case "TRIM_HORIZON":
		it.after = b.Trimmed
	case "LATEST":
		it.after = b.Latest
	case "AT_SEQUENCE_NUMBER":
		seq, err := withSeq()
		if err != nil {
			return nil, err
		}
		it.after = seq - 1
	case "AFTER_SEQUENCE_NUMBER":
		seq, err := withSeq()
		if err != nil {
			return nil, err
		}
		it.after = seq
	default:
		return nil, validation("1 validation error detected: Value '" + in.ShardIteratorType + "' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, AT_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST]")
	}
	return getShardIteratorOutput{ShardIterator: it.encode()}, nil
}

// ---------------------------------------------------------------- GetRecords

type getRecordsInput struct {
	ShardIterator string `json:"ShardIterator"`
	Limit         *int   `json:"Limit"`
}

type streamRecord struct {
	ApproximateCreationDateTime float64  `json:"ApproximateCreationDateTime"`
	Keys                        jsonItem `json:"Keys"`
	NewImage                    jsonItem `json:"NewImage,omitempty"`
	OldImage                    jsonItem `json:"OldImage,omitempty"`
	SequenceNumber              string   `json:"SequenceNumber"`
	SizeBytes                   int      `json:"SizeBytes"`
	StreamViewType              string   `json:"StreamViewType"`
}

type userIdentity struct {
	Type        string `json:"Type"`
	PrincipalId string `json:"PrincipalId"`
}

type record struct {
	EventID      string        `json:"eventID"`
	EventName    string        `json:"eventName"`
	EventVersion string        `json:"eventVersion"`
	EventSource  string        `json:"eventSource"`
	AwsRegion    string        `json:"awsRegion"`
	Dynamodb     streamRecord  `json:"dynamodb"`
	UserIdentity *userIdentity `json:"userIdentity,omitempty"`
}

type getRecordsOutput struct {
	Records           []record `json:"Records"`
	NextShardIterator string   `json:"NextShardIterator,omitempty"`
}

func (h *Handler) getRecords(ctx context.Context, c *call) (any, error) {
	var in getRecordsInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	it, err := decodeIterator(in.ShardIterator)
	if err != nil {
		return nil, err
	}
	limit := 1000
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 1000 {
			return nil, validation(fmt.Sprintf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000", *in.Limit))
		}
		limit = *in.Limit
	}
	d, err := h.db.DescribeTable(ctx, it.table)
	if err != nil || d.ID != it.tableID {
		return nil, newError(400, typeDynamoDB+"ExpiredIteratorException", "The shard iterator has expired: the table was deleted")
	}
	access := &Access{Action: "dynamodb:GetRecords", Table: d.Name, Resource: h.streamARN(d)}
	restrict, err := h.authorize(ctx, c, access)
	if err != nil {
		return nil, err
	}
	if restrict != nil {
		// The engine's change log takes no restriction: a caller limited
		// to some partitions or attributes reads streams through GraphQL
		// subscriptions, which apply it.
		return nil, accessDenied(c, access)
	}
	page, err := h.db.ReadChanges(ctx, engine.ReadChangesInput{Table: it.table, After: it.after, Limit: limit})
	if err != nil {
		if engine.CodeOf(err) == engine.CodeTrimmedData {
			return nil, newError(400, typeDynamoDB+"TrimmedDataAccessException", "The operation attempted to read past the oldest stream record in a shard.")
		}
		return nil, err
	}
	out := getRecordsOutput{Records: make([]record, 0, len(page.Changes))}
	for _, ch := range page.Changes {
		out.Records = append(out.Records, h.record(d, ch))
	}
	it.after = page.Next
	out.NextShardIterator = it.encode()
	return out, nil
}

// record converts a change record to a stream record.
func (h *Handler) record(d *engine.TableDescription, ch engine.Change) record {
	r := record{
		EventID:      fmt.Sprintf("%016x%016x", d.ID, ch.Seq),
		EventName:    string(ch.Event),
		EventVersion: "1.1",
		EventSource:  "aws:dynamodb",
		AwsRegion:    h.opts.Region,
		Dynamodb: streamRecord{
			ApproximateCreationDateTime: float64(ch.Time.Unix()),
			Keys:                        jsonItem(ch.Keys),
			NewImage:                    jsonItem(ch.NewImage),
			OldImage:                    jsonItem(ch.OldImage),
			SequenceNumber:              formatSeq(ch.Seq),
			SizeBytes:                   attr.ItemSize(ch.Keys) + attr.ItemSize(ch.NewImage) + attr.ItemSize(ch.OldImage),
			StreamViewType:              string(d.StreamView),
		},
	}
	if ch.Origin == engine.OriginTTL {
		r.UserIdentity = &userIdentity{Type: "Service", PrincipalId: "dynamodb.amazonaws.com"}
	}
	return r
}
