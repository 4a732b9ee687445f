package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
)

// scanPage is how many items one Scan call reads; list-answers and clear follow the
// pages to the end of the table.
const scanPage = 100

// listContextRunes is how much of each context list-answers shows (--json: all).
const listContextRunes = 160

func (c *session) listAnswers(ctx context.Context, args []string, limit int) error {
	if len(args) > 0 {
		return cli.Usagef("list-answers takes no arguments (got %q); --limit N shows the newest N", args[0])
	}
	if limit < 0 {
		return cli.Usagef("--limit %d: give a number of answers, or 0 for all", limit)
	}
	if err := c.connect(ctx); err != nil {
		return err
	}
	var items []qabot.Item
	err := c.scan(ctx, "", func(page []map[string]dbtypes.AttributeValue) error {
		var got []qabot.Item
		if err := attributevalue.UnmarshalListOfMaps(page, &got); err != nil {
			return err
		}
		items = append(items, got...)
		return nil
	})
	if err != nil {
		return err
	}
	sort.SliceStable(items, func(i, j int) bool { return newer(items[i].CreatedAt, items[j].CreatedAt) })
	total := len(items)
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	if c.opts.json {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if items == nil {
			items = []qabot.Item{}
		}
		return enc.Encode(map[string]any{"stack": c.stack.name, "region": c.region, "table": c.stack.table, "total": total, "answers": items})
	}
	p := newPrinter(c.stdout)
	for i, it := range items {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		p.heading(fmt.Sprintf("[%d] %s  %s  item %s", i+1, it.CreatedAt, it.Status, it.ItemID))
		p.item(it, "", listContextRunes)
	}
	switch {
	case total == 0:
		c.progressf("no questions yet: table %s is empty (ask one with `go run ./cmd/runtask ask ...`)", c.stack.table)
	case len(items) < total:
		c.progressf("the newest %d of %d answers; --limit 0 shows all", len(items), total)
	default:
		c.progressf("%s, newest first", cli.Plural(total, "answer"))
	}
	return nil
}

// newer compares two created_at times (RFC 3339 strings with a varying number of
// fraction digits do not sort as text); unreadable ones go last.
func newer(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339Nano, a)
	tb, errB := time.Parse(time.RFC3339Nano, b)
	if errA != nil || errB != nil {
		if (errA == nil) != (errB == nil) {
			return errA == nil
		}
		return a > b
	}
	return ta.After(tb)
}

func (c *session) clear(ctx context.Context, args []string, yes bool) error {
	if len(args) > 0 {
		return cli.Usagef("clear takes no arguments (got %q): it deletes every question and answer", args[0])
	}
	if err := c.connect(ctx); err != nil {
		return err
	}
	var keys []map[string]dbtypes.AttributeValue
	err := c.scan(ctx, qabot.AttrItemID, func(page []map[string]dbtypes.AttributeValue) error {
		keys = append(keys, page...)
		return nil
	})
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		c.progressf("nothing to clear: table %s has no questions", c.stack.table)
		return c.printCleared(0)
	}
	if !yes {
		ok, err := cli.Confirm(c.call, fmt.Sprintf("Delete all %s and their answers from table %s (stack %s, %s)?",
			cli.Plural(len(keys), "question"), c.stack.table, c.stack.name, c.region))
		if err != nil {
			return err
		}
		if !ok {
			c.progressf("nothing deleted")
			return errFailed
		}
	}
	deleted, err := c.deleteKeys(ctx, keys)
	if ctx.Err() != nil {
		c.progressf("interrupted after deleting %d", deleted)
		return errInterrupted
	}
	if err != nil {
		return awsenv.Explain(fmt.Sprintf("deleting (dynamodb:BatchWriteItem, %d deleted so far)", deleted), err)
	}
	c.progressf("deleted %s and their answers from table %s", cli.Plural(deleted, "question"), c.stack.table)
	return c.printCleared(deleted)
}

// deleteKeys deletes the items, a batch at a time; it returns how many it deleted.
func (c *session) deleteKeys(ctx context.Context, keys []map[string]dbtypes.AttributeValue) (int, error) {
	deleted := 0
	for len(keys) > 0 {
		batch := keys[:min(len(keys), awsenv.MaxBatchWrite)]
		keys = keys[len(batch):]
		var writes []dbtypes.WriteRequest
		for _, k := range batch {
			writes = append(writes, dbtypes.WriteRequest{DeleteRequest: &dbtypes.DeleteRequest{Key: k}})
		}
		n, err := awsenv.WriteBatch(ctx, c.db, c.stack.table, writes)
		if deleted += n; err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

func (c *session) printCleared(n int) error {
	if !c.opts.json {
		return nil
	}
	return json.NewEncoder(c.stdout).Encode(map[string]any{"stack": c.stack.name, "region": c.region, "table": c.stack.table, "deleted": n})
}

// scan reads the whole table page by page (only the given attribute, if any).
func (c *session) scan(ctx context.Context, only string, page func([]map[string]dbtypes.AttributeValue) error) error {
	// Strongly consistent: a question stored a moment ago is listed (and cleared); an
	// eventually consistent Scan may miss it (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html).
	in := &dynamodb.ScanInput{TableName: aws.String(c.stack.table), Limit: aws.Int32(scanPage), ConsistentRead: aws.Bool(true)}
	if only != "" {
		in.ProjectionExpression = aws.String("#a")
		in.ExpressionAttributeNames = map[string]string{"#a": only}
	}
	pages := dynamodb.NewScanPaginator(c.db, in)
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if ctx.Err() != nil {
			return errInterrupted
		}
		if err != nil {
			return c.tableError("reading the table (dynamodb:Scan on "+c.stack.table+")", err)
		}
		if err := page(out.Items); err != nil {
			return err
		}
	}
	return nil
}
