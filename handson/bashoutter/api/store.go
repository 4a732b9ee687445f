package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/haiku"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/bashoutter"
)

// The table's shape is in the contract (bashoutter.PartitionKey, ...).
const (
	feedValue = "haiku"
	// createdAtLayout has a fixed width, so the strings sort in time order.
	createdAtLayout = "2006-01-02T15:04:05.000000Z"
)

// ErrNotFound is a PATCH or DELETE of an item that does not exist.
var ErrNotFound = errors.New("no such haiku")

// DynamoDB is the part of the DynamoDB client the store uses.
type DynamoDB interface {
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Store keeps haiku in one DynamoDB table.
type Store struct {
	DB    DynamoDB
	Table string
	// Now and NewID default to the clock and a random UUID (as 32 hex digits, like the
	// course's uuid4().hex).
	Now   func() time.Time
	NewID func() string
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	var b [16]byte
	_, _ = rand.Read(b[:])  // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return hex.EncodeToString(b[:])
}

// Add stores a new haiku with no likes and returns it.
func (s *Store) Add(ctx context.Context, n haiku.Post) (bashoutter.Haiku, error) {
	h := bashoutter.Haiku{
		ItemID: s.newID(), Username: n.Username, First: n.First, Second: n.Second, Third: n.Third,
		Likes: 0, CreatedAt: s.now().UTC().Format(createdAtLayout),
	}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table),
		Item: map[string]types.AttributeValue{
			bashoutter.PartitionKey:       str(h.ItemID),
			"username":                    str(h.Username),
			"first":                       str(h.First),
			"second":                      str(h.Second),
			"third":                       str(h.Third),
			"likes":                       &types.AttributeValueMemberN{Value: "0"},
			bashoutter.CreatedAtAttribute: str(h.CreatedAt),
			bashoutter.FeedAttribute:      str(feedValue),
		},
		ConditionExpression: aws.String("attribute_not_exists(item_id)"),
	})
	var landed *types.ConditionalCheckFailedException
	if errors.As(err, &landed) && s.NewID == nil {
		// A fresh random id exists only because an earlier attempt of this PutItem
		// wrote it and its answer was lost (the SDK retried): the haiku is stored once.
		err = nil
	}
	if err != nil {
		return bashoutter.Haiku{}, fmt.Errorf("put haiku: %w", err)
	}
	return h, nil
}

// List returns up to limit haiku created before the position that next (from an earlier
// Page) marks, newest first. It asks for one item more than it returns, so Next is set
// only when there is a further page.
func (s *Store) List(ctx context.Context, limit int, next string) (bashoutter.Page, error) {
	input := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		IndexName:                 aws.String(bashoutter.NewestFirstIndex),
		KeyConditionExpression:    aws.String("#feed = :feed"),
		ExpressionAttributeNames:  map[string]string{"#feed": bashoutter.FeedAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{":feed": str(feedValue)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit + 1)),
	}
	if next != "" {
		start, err := decodeToken(next)
		if err != nil {
			return bashoutter.Page{}, err
		}
		input.ExclusiveStartKey = start
	}
	page := bashoutter.Page{Items: []bashoutter.Haiku{}}
	for len(page.Items) <= limit {
		out, err := s.DB.Query(ctx, input)
		if err != nil {
			return bashoutter.Page{}, fmt.Errorf("query haiku: %w", err)
		}
		for _, item := range out.Items {
			h, err := fromItem(item)
			if err != nil {
				return bashoutter.Page{}, err
			}
			page.Items = append(page.Items, h)
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		// DynamoDB may stop early (1 MB per query); carry on where it stopped.
		input.ExclusiveStartKey = out.LastEvaluatedKey
		input.Limit = aws.Int32(int32(limit + 1 - len(page.Items)))
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = encodeToken(page.Items[limit-1])
	}
	return page, nil
}

// Like adds one like and returns the new count, or ErrNotFound.
func (s *Store) Like(ctx context.Context, id string) (int64, error) {
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Table),
		Key:                       map[string]types.AttributeValue{bashoutter.PartitionKey: str(id)},
		UpdateExpression:          aws.String("ADD likes :one"),
		ConditionExpression:       aws.String("attribute_exists(item_id)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		var missing *types.ConditionalCheckFailedException
		if errors.As(err, &missing) {
			return 0, ErrNotFound
		}
		return 0, fmt.Errorf("like haiku %s: %w", id, err)
	}
	n, ok := out.Attributes["likes"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("like haiku %s: DynamoDB returned no likes count", id)
	}
	return strconv.ParseInt(n.Value, 10, 64)
}

// Delete removes a haiku, or returns ErrNotFound.
func (s *Store) Delete(ctx context.Context, id string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:           aws.String(s.Table),
		Key:                 map[string]types.AttributeValue{bashoutter.PartitionKey: str(id)},
		ConditionExpression: aws.String("attribute_exists(item_id)"),
	})
	var missing *types.ConditionalCheckFailedException
	if errors.As(err, &missing) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete haiku %s: %w", id, err)
	}
	return nil
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func fromItem(item map[string]types.AttributeValue) (bashoutter.Haiku, error) {
	get := func(name string) string {
		if v, ok := item[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	h := bashoutter.Haiku{
		ItemID: get(bashoutter.PartitionKey), Username: get("username"), First: get("first"), Second: get("second"),
		Third: get("third"), CreatedAt: get(bashoutter.CreatedAtAttribute),
	}
	if n, ok := item["likes"].(*types.AttributeValueMemberN); ok {
		likes, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return bashoutter.Haiku{}, fmt.Errorf("item %s: likes %q is not a whole number", h.ItemID, n.Value)
		}
		h.Likes = likes
	}
	return h, nil
}

// --- page tokens ---
//
// A token is the index key of the last item of a page, as URL-safe base64 JSON. It
// carries no secret: a client that edits one gets another valid page or a 400.

type token struct {
	ItemID    string `json:"i"`
	CreatedAt string `json:"c"`
}

func encodeToken(h bashoutter.Haiku) string {
	raw, _ := json.Marshal(token{ItemID: h.ItemID, CreatedAt: h.CreatedAt})
	return base64.RawURLEncoding.EncodeToString(raw)
}

// itemIDPattern is what the API accepts as an item id: the course's 32 hex digits, or
// any id a client could have stored before, within DynamoDB's key limits.
var itemIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func decodeToken(s string) (map[string]types.AttributeValue, error) {
	bad := haiku.BadRequest("next is not a page token from this API; start again without it")
	if len(s) > 512 {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var t token
	if err := json.Unmarshal(raw, &t); err != nil || !itemIDPattern.MatchString(t.ItemID) {
		return nil, bad
	}
	if _, err := time.Parse(createdAtLayout, t.CreatedAt); err != nil {
		return nil, bad
	}
	return map[string]types.AttributeValue{
		bashoutter.PartitionKey:       str(t.ItemID),
		bashoutter.CreatedAtAttribute: str(t.CreatedAt),
		bashoutter.FeedAttribute:      str(feedValue),
	}, nil
}

// CreateTable creates the table as the stack does (for the local mode and tests) and
// waits until it is active.
func CreateTable(ctx context.Context, db *dynamodb.Client, name string) error {
	attr := func(n string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS}
	}
	key := func(n string, t types.KeyType) types.KeySchemaElement {
		return types.KeySchemaElement{AttributeName: aws.String(n), KeyType: t}
	}
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{attr(bashoutter.PartitionKey), attr(bashoutter.FeedAttribute), attr(bashoutter.CreatedAtAttribute)},
		KeySchema:            []types.KeySchemaElement{key(bashoutter.PartitionKey, types.KeyTypeHash)},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String(bashoutter.NewestFirstIndex),
			KeySchema:  []types.KeySchemaElement{key(bashoutter.FeedAttribute, types.KeyTypeHash), key(bashoutter.CreatedAtAttribute, types.KeyTypeRange)},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	if err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	return dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute)
}
