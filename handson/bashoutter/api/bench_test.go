package api

// Requests per second of the handlers against moto's DynamoDB, next to the DynamoDB
// call each route makes, sent directly (the baseline, in the same run). The ratio shows
// what the handler adds (parsing, checks, JSON) to the database round trip.
//
//	make bench   (or: go test -run '^$' -bench . ./handson/bashoutter/api)

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/haiku"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/bashoutter"
)

func BenchmarkHandlerVsDirectDynamoDB(b *testing.B) {
	h, db := newHandler(b)
	ctx := context.Background()
	seed := decode[bashoutter.Haiku](b, call(b, h, bashoutter.RoutePost, "", basho, nil))
	for range 30 { // a first page's worth of items
		call(b, h, bashoutter.RoutePost, "", basho, nil)
	}
	table := aws.String(h.Store.Table)

	routes := []struct {
		name    string
		handler func()
		direct  func() error
	}{
		{"POST", func() { call(b, h, bashoutter.RoutePost, "", basho, nil) }, func() error {
			_, err := h.Store.Add(ctx, haiku.Post{Username: "u", First: "a", Second: "b", Third: "c"})
			return err
		}},
		{"GET", func() { call(b, h, bashoutter.RouteList, "", "", nil) }, func() error {
			_, err := db.Query(ctx, &dynamodb.QueryInput{
				TableName: table, IndexName: aws.String(bashoutter.NewestFirstIndex), Limit: aws.Int32(bashoutter.DefaultPageSize + 1),
				KeyConditionExpression:    aws.String("feed = :f"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":f": &types.AttributeValueMemberS{Value: feedValue}},
				ScanIndexForward:          aws.Bool(false),
			})
			return err
		}},
		{"PATCH", func() { call(b, h, bashoutter.RouteLike, seed.ItemID, "", nil) }, func() error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: table, Key: map[string]types.AttributeValue{bashoutter.PartitionKey: &types.AttributeValueMemberS{Value: seed.ItemID}},
				UpdateExpression:          aws.String("ADD likes :one"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
			})
			return err
		}},
	}
	for _, r := range routes {
		b.Run(r.name, func(b *testing.B) {
			var viaHandler, direct time.Duration
			for range b.N {
				start := time.Now()
				r.handler()
				viaHandler += time.Since(start)
				start = time.Now()
				if err := r.direct(); err != nil {
					b.Fatal(err)
				}
				direct += time.Since(start)
			}
			perSec := func(d time.Duration) float64 { return float64(b.N) / d.Seconds() }
			b.ReportMetric(perSec(viaHandler), "handler-req/s")
			b.ReportMetric(perSec(direct), "direct-req/s")
			b.ReportMetric(perSec(viaHandler)/perSec(direct), "handler/direct")
		})
	}
}
