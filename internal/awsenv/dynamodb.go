package awsenv

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MaxBatchWrite is how many requests one BatchWriteItem call takes (DynamoDB's limit).
const MaxBatchWrite = 25

var unprocessedBackoff = retry.NewExponentialJitterBackoff(MaxBackoff)

// WriteBatch sends one BatchWriteItem of at most MaxBatchWrite requests to table, and
// sends again whatever DynamoDB leaves unprocessed: it answers throttling of single
// items that way, not with an error the SDK's retryer would see. It waits between
// tries as the retryer does, at most MaxAttempts tries, and returns how many requests
// were done.
func WriteBatch(ctx context.Context, db *dynamodb.Client, table string, batch []types.WriteRequest) (int, error) {
	done := 0
	for attempt := 1; len(batch) > 0; attempt++ {
		if attempt > MaxAttempts {
			return done, fmt.Errorf("DynamoDB kept %d writes unprocessed (throttled) after %d tries: run again in a minute", len(batch), MaxAttempts)
		}
		if attempt > 1 {
			wait, _ := unprocessedBackoff.BackoffDelay(attempt-1, nil)
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return done, ctx.Err()
			}
		}
		out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: batch}})
		if err != nil {
			return done, err
		}
		left := out.UnprocessedItems[table]
		done += len(batch) - len(left)
		batch = left
	}
	return done, nil
}
