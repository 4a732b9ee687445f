package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	tagtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
)

// item is one thing found in the account.
type item struct {
	Kind   string `json:"kind"`   // "stack", "resource", "log group", "bootstrap"
	Name   string `json:"name"`   // stack name, ARN, log group name, bucket or repository
	Detail string `json:"detail"` // state, size, what blocked a deletion
	Fix    string `json:"fix"`    // the command that removes it
	// Ours: it came from this project and nothing else uses it; it counts towards the
	// exit status and --delete may remove it. Bootstrap items are reported only.
	Ours bool `json:"ours"`
	// remove deletes it (nil: only by hand, with Fix).
	remove func(context.Context) error
}

// clients are the AWS APIs a scan uses.
type clients struct {
	cfn     *cloudformation.Client
	tagging *resourcegroupstaggingapi.Client
	logs    *cloudwatchlogs.Client
	s3      *s3.Client
	ecr     *ecr.Client
	sts     *sts.Client
	region  string
	// The services that confirm what the tagging API lists (it lags behind them).
	ec2      *ec2.Client
	batch    *batch.Client
	dynamodb *dynamodb.Client
	lambda   *lambda.Client
	ecs      *ecs.Client
	// proven: log groups that a stack of ours created (its own log groups, and
	// /aws/lambda/<function> of its functions), found by scanStacks.
	proven map[string]string // log group name → stack
}

func newClients(cfg aws.Config) *clients {
	return &clients{
		cfn: cloudformation.NewFromConfig(cfg), tagging: resourcegroupstaggingapi.NewFromConfig(cfg),
		logs: cloudwatchlogs.NewFromConfig(cfg), s3: s3.NewFromConfig(cfg), ecr: ecr.NewFromConfig(cfg),
		sts: sts.NewFromConfig(cfg), region: cfg.Region,
		ec2: ec2.NewFromConfig(cfg), batch: batch.NewFromConfig(cfg), dynamodb: dynamodb.NewFromConfig(cfg), lambda: lambda.NewFromConfig(cfg),
		ecs: ecs.NewFromConfig(cfg),
	}
}

// scan lists, in this order: our CloudFormation stacks in any state but deleted,
// resources still tagged Project=intro-aws-go whose stack is gone, log groups named after
// our stacks, and the CDK bootstrap's asset bucket and image repository.
func scan(ctx context.Context, c *clients) (account string, items []item, err error) {
	id, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", nil, awsenv.Explain("sts:GetCallerIdentity", err)
	}
	account = aws.ToString(id.Account)

	stacks, live, err := scanStacks(ctx, c)
	if err != nil {
		return "", nil, err
	}
	items = append(items, stacks...)
	tagged, err := scanTagged(ctx, c, live)
	if err != nil {
		return "", nil, err
	}
	items = append(items, tagged...)
	logGroups, err := scanLogGroups(ctx, c, live, items)
	if err != nil {
		return "", nil, err
	}
	items = append(items, logGroups...)
	bootstrap, err := scanBootstrap(ctx, c, account)
	if err != nil {
		return "", nil, err
	}
	return account, append(items, bootstrap...), nil
}

// isOurStack: tagged Project=intro-aws-go, as `cdk deploy` tags every stack of this app.
// A name alone proves nothing: another app may have a stack called SimpleS3.
func isOurStack(tags []cfntypes.Tag) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == "Project" && aws.ToString(t.Value) == handsons.ProjectTag {
			return true
		}
	}
	return false
}

func scanStacks(ctx context.Context, c *clients) ([]item, map[string]bool, error) {
	var items []item
	live := map[string]bool{} // stacks that still exist: their resources are not leftovers
	pages := cloudformation.NewDescribeStacksPaginator(c.cfn, &cloudformation.DescribeStacksInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, nil, awsenv.Explain("cloudformation:DescribeStacks", err)
		}
		for _, s := range page.Stacks {
			name := aws.ToString(s.StackName)
			if s.StackStatus == cfntypes.StackStatusDeleteComplete {
				continue
			}
			if !isOurStack(s.Tags) {
				if slices.Contains(handsons.Stacks, name) {
					items = append(items, item{Kind: "stack", Name: name,
						Detail: "named like a hands-on but not tagged Project=" + handsons.ProjectTag + ": another app's, not touched",
						Fix:    "none (if it is yours after all: npx cdk destroy " + name + ")"})
				}
				continue
			}
			live[name] = true
			it := item{Kind: "stack", Name: name, Ours: true, Fix: "npx cdk destroy " + name}
			it.remove = func(ctx context.Context) error { return deleteStack(ctx, c, name) }
			switch s.StackStatus {
			case cfntypes.StackStatusDeleteFailed:
				blockers, err := deleteFailures(ctx, c, name)
				if err != nil {
					return nil, nil, err
				}
				it.Detail = "DELETE_FAILED: " + blockers
				it.Fix = "fix what blocked it, then npx cdk destroy " + name + " (or go run ./cmd/leftovers --delete)"
			case cfntypes.StackStatusDeleteInProgress:
				it.Detail = "DELETE_IN_PROGRESS"
				it.Fix = "wait a few minutes and run leftovers again"
				it.remove = nil
			default:
				it.Detail = "deployed (" + string(s.StackStatus) + "): it bills as its hands-on says"
			}
			items = append(items, it)
		}
	}
	if err := provenLogGroups(ctx, c); err != nil {
		return nil, nil, err
	}
	return items, live, nil
}

// provenLogGroups records the log groups that deleted stacks of ours created: their
// AWS::Logs::LogGroup resources (a retained one outlives the stack) and the
// /aws/lambda/<function> groups that Lambda creates for their functions on the first
// run. CloudFormation keeps a deleted stack, its tags and its resource list for 90 days
// (ListStackResources: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStackResources.html).
func provenLogGroups(ctx context.Context, c *clients) error {
	c.proven = map[string]string{}
	pages := cloudformation.NewListStacksPaginator(c.cfn, &cloudformation.ListStacksInput{StackStatusFilter: []cfntypes.StackStatus{cfntypes.StackStatusDeleteComplete}})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return awsenv.Explain("cloudformation:ListStacks", err)
		}
		for _, sum := range page.StackSummaries {
			name := aws.ToString(sum.StackName)
			if !slices.Contains(handsons.Stacks, name) {
				continue // only the hands-ons' names can be mistaken for ours
			}
			desc, err := c.cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: sum.StackId})
			if err != nil {
				return awsenv.Explain("cloudformation:DescribeStacks "+name, err)
			}
			if len(desc.Stacks) != 1 || !isOurStack(desc.Stacks[0].Tags) {
				continue
			}
			res := cloudformation.NewListStackResourcesPaginator(c.cfn, &cloudformation.ListStackResourcesInput{StackName: sum.StackId})
			for res.HasMorePages() {
				rp, err := res.NextPage(ctx)
				if err != nil {
					return awsenv.Explain("cloudformation:ListStackResources "+name, err)
				}
				for _, r := range rp.StackResourceSummaries {
					switch physical := aws.ToString(r.PhysicalResourceId); aws.ToString(r.ResourceType) {
					case "AWS::Logs::LogGroup":
						c.proven[physical] = name
					case "AWS::Lambda::Function":
						c.proven["/aws/lambda/"+physical] = name
					}
				}
			}
		}
	}
	return nil
}

// deleteFailures names each resource that CloudFormation could not delete, and why.
func deleteFailures(ctx context.Context, c *clients, stack string) (string, error) {
	out, err := c.cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stack)})
	if err != nil {
		return "", awsenv.Explain("cloudformation:DescribeStackResources", err)
	}
	var reasons []string
	for _, r := range out.StackResources {
		if r.ResourceStatus == cfntypes.ResourceStatusDeleteFailed {
			reasons = append(reasons, fmt.Sprintf("%s %s (%s) %s", aws.ToString(r.ResourceType), aws.ToString(r.LogicalResourceId),
				aws.ToString(r.PhysicalResourceId), strings.TrimSpace(aws.ToString(r.ResourceStatusReason))))
		}
	}
	if len(reasons) == 0 {
		return "no resource reports the failure; see the stack's events in the CloudFormation console", nil
	}
	return strings.Join(reasons, "; "), nil
}

func scanTagged(ctx context.Context, c *clients, live map[string]bool) ([]item, error) {
	var items []item
	pages := resourcegroupstaggingapi.NewGetResourcesPaginator(c.tagging, &resourcegroupstaggingapi.GetResourcesInput{
		TagFilters: []tagtypes.TagFilter{{Key: aws.String("Project"), Values: []string{handsons.ProjectTag}}},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, awsenv.Explain("tag:GetResources", err)
		}
		for _, r := range page.ResourceTagMappingList {
			tags := map[string]string{}
			for _, t := range r.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			resourceARN := aws.ToString(r.ResourceARN)
			if live[tags["aws:cloudformation:stack-name"]] || live[tags["HandsOn"]] {
				continue // its stack still exists: `cdk destroy` removes it
			}
			if strings.HasPrefix(resourceARN, "arn:aws:cloudformation:") {
				continue // a deleted stack that the tagging index still remembers
			}
			it := resourceItem(c, resourceARN, tags["HandsOn"])
			gone, state, err := confirm(ctx, c, resourceARN)
			switch {
			case err != nil:
				it.Detail += " (could not confirm with its service: " + err.Error() + ")"
			case gone:
				it = item{Kind: "resource", Name: resourceARN,
					Detail: "still in the tagging index, but " + state + ": gone (the index lags behind, up to an hour)",
					Fix:    "nothing to do"}
			}
			items = append(items, it)
		}
	}
	return items, nil
}

// resourceItem describes a leftover resource and how to remove it.
func resourceItem(c *clients, resourceARN, handsOn string) item {
	it := item{Kind: "resource", Name: resourceARN, Ours: true, Detail: "tagged Project=" + handsons.ProjectTag}
	if handsOn != "" {
		it.Detail += " HandsOn=" + handsOn
	}
	parsed, err := arn.Parse(resourceARN)
	if err != nil {
		it.Fix = "delete it in the AWS console"
		return it
	}
	resource := parsed.Resource
	switch {
	case parsed.Service == "s3":
		bucket := resource
		it.Fix = fmt.Sprintf("aws s3 rb s3://%s --force --region %s", bucket, c.region)
		it.remove = func(ctx context.Context) error { return deleteBucket(ctx, c, bucket) }
	case parsed.Service == "logs" && strings.HasPrefix(resource, "log-group:"):
		name := strings.TrimSuffix(strings.TrimPrefix(resource, "log-group:"), ":*")
		it.Fix = fmt.Sprintf("aws logs delete-log-group --region %s --log-group-name %s", c.region, name)
		it.remove = func(ctx context.Context) error { return deleteLogGroup(ctx, c, name) }
	case parsed.Service == "ecr" && strings.HasPrefix(resource, "repository/"):
		repo := strings.TrimPrefix(resource, "repository/")
		it.Fix = fmt.Sprintf("aws ecr delete-repository --region %s --force --repository-name %s", c.region, repo)
		it.remove = func(ctx context.Context) error {
			_, err := c.ecr.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String(repo), Force: true})
			return err
		}
	case parsed.Service == "dynamodb" && strings.HasPrefix(resource, "table/"):
		it.Fix = fmt.Sprintf("aws dynamodb delete-table --region %s --table-name %s", c.region, strings.TrimPrefix(resource, "table/"))
	case parsed.Service == "ec2" && strings.HasPrefix(resource, "volume/"):
		it.Fix = fmt.Sprintf("aws ec2 delete-volume --region %s --volume-id %s", c.region, strings.TrimPrefix(resource, "volume/"))
	case parsed.Service == "ec2" && strings.HasPrefix(resource, "instance/"):
		it.Fix = fmt.Sprintf("aws ec2 terminate-instances --region %s --instance-ids %s", c.region, strings.TrimPrefix(resource, "instance/"))
	default:
		it.Fix = "delete it in the AWS console (search for its ARN)"
	}
	return it
}

// ourLogGroupPrefixes are where AWS services put the log groups they create on their
// own (Lambda's is created at the first invocation and outlives the stack). A name is
// only a hint: a log group is ours when a stack of ours created it (c.proven).
var ourLogGroupPrefixes = []string{"/aws/lambda/", "/aws/ecs/", "/ecs/", "/aws/apigateway/", "/aws/vendedlogs/"}

// scanLogGroups finds log groups named after one of our stacks whose stack is gone, and
// that the tag scan did not already list.
func scanLogGroups(ctx context.Context, c *clients, live map[string]bool, found []item) ([]item, error) {
	seen := map[string]bool{}
	for _, it := range found {
		seen[it.Name] = true
	}
	var items []item
	pages := cloudwatchlogs.NewDescribeLogGroupsPaginator(c.logs, &cloudwatchlogs.DescribeLogGroupsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, awsenv.Explain("logs:DescribeLogGroups", err)
		}
		for _, g := range page.LogGroups {
			name := aws.ToString(g.LogGroupName)
			stack, proven := c.proven[name]
			if !proven {
				stack = stackInLogGroupName(name)
			}
			if stack == "" || live[stack] || seen[aws.ToString(g.Arn)] || seen[strings.TrimSuffix(aws.ToString(g.Arn), ":*")] {
				continue
			}
			if !proven {
				items = append(items, item{Kind: "log group", Name: name,
					Detail: fmt.Sprintf("named like %s's, but no stack of ours created it: not touched", stack),
					Fix:    "none (if it is yours: aws logs delete-log-group --region " + c.region + " --log-group-name " + name + ")"})
				continue
			}
			it := item{Kind: "log group", Name: name, Ours: true,
				Detail: fmt.Sprintf("created by the deleted stack %s, %s stored", stack, humanBytes(aws.ToInt64(g.StoredBytes))),
				Fix:    fmt.Sprintf("aws logs delete-log-group --region %s --log-group-name %s", c.region, name)}
			it.remove = func(ctx context.Context) error { return deleteLogGroup(ctx, c, name) }
			items = append(items, it)
		}
	}
	return items, nil
}

// stackInLogGroupName returns the hands-on a log group is named after, or "": the
// group's first path element after a known service prefix must start with the stack
// name ("/aws/lambda/SimpleLambda-HelloFunction1234-abcd" → SimpleLambda).
func stackInLogGroupName(name string) string {
	for _, prefix := range ourLogGroupPrefixes {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		for _, stack := range handsons.Stacks {
			if rest == stack || strings.HasPrefix(rest, stack+"-") || strings.HasPrefix(rest, stack+"/") {
				return stack
			}
		}
	}
	return ""
}

// scanBootstrap reports the CDK bootstrap's asset bucket and image repository. They are
// shared by every CDK app in the account and region, so they are never "ours".
func scanBootstrap(ctx context.Context, c *clients, account string) ([]item, error) {
	var items []item
	bucket := fmt.Sprintf("cdk-hnb659fds-assets-%s-%s", account, c.region)
	var objects, size int64
	pages := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	exists := true
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if isNotFound(err) {
				exists = false
				break
			}
			return nil, awsenv.Explain("s3:ListObjectsV2 "+bucket, err)
		}
		for _, o := range page.Contents {
			objects++
			size += aws.ToInt64(o.Size)
		}
	}
	if exists {
		items = append(items, item{Kind: "bootstrap", Name: "s3://" + bucket,
			Detail: fmt.Sprintf("CDK asset bucket, %d object%s, %s (about $%.2f/month); shared by all CDK apps here", objects, map[bool]string{true: "s"}[objects != 1], humanBytes(size), float64(size)/1e9*0.025),
			Fix:    "kept on purpose; `npx cdk gc` (or emptying it) frees old assets"})
	}

	repo := fmt.Sprintf("cdk-hnb659fds-container-assets-%s-%s", account, c.region)
	var images int
	var imageBytes int64
	ipages := ecr.NewDescribeImagesPaginator(c.ecr, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo)})
	for ipages.HasMorePages() {
		page, err := ipages.NextPage(ctx)
		if err != nil {
			var missing *ecrtypes.RepositoryNotFoundException
			if errors.As(err, &missing) {
				return items, nil
			}
			return nil, awsenv.Explain("ecr:DescribeImages "+repo, err)
		}
		for _, img := range page.ImageDetails {
			images++
			imageBytes += aws.ToInt64(img.ImageSizeInBytes)
		}
	}
	return append(items, item{Kind: "bootstrap", Name: repo,
		Detail: fmt.Sprintf("CDK image repository, %d images, %s (about $%.2f/month); shared by all CDK apps here", images, humanBytes(imageBytes), float64(imageBytes)/1e9*0.10),
		Fix:    "kept on purpose; `npx cdk gc` frees images no stack uses"}), nil
}

func isNotFound(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchBucket", "NotFound", "404":
			return true
		}
	}
	return false
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// sortItems puts ours first (stacks, resources, log groups), then the bootstrap notes.
func sortItems(items []item) {
	order := map[string]int{"stack": 0, "resource": 1, "log group": 2, "bootstrap": 3}
	sort.SliceStable(items, func(i, j int) bool {
		if order[items[i].Kind] != order[items[j].Kind] {
			return order[items[i].Kind] < order[items[j].Kind]
		}
		return items[i].Name < items[j].Name
	})
}
