package main

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// confirm asks a resource's own service whether a resource that the Resource Groups
// Tagging API lists still exists. The tagging index lags: it keeps listing terminated
// instances and deleted resources for a while (up to an hour), so right after `cdk
// destroy` it names what is already gone
// (https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html).
// gone: the service says it no longer exists or is on its way out (state says how).
// A kind this does not know is not confirmed: it stays a leftover.
func confirm(ctx context.Context, c *clients, resourceARN string) (gone bool, state string, err error) {
	a, err := arn.Parse(resourceARN)
	if err != nil {
		return false, "", nil
	}
	ask, ok := confirmers[a.Service]
	if !ok {
		return false, "", nil
	}
	r := resourceRef{ARN: a, full: resourceARN}
	r.kind, r.id, _ = strings.Cut(a.Resource, "/")
	return ask(ctx, c, r)
}

// resourceRef is a parsed ARN; kind and id are its resource part cut at the first "/"
// ("instance", "i-0123...").
type resourceRef struct {
	arn.ARN
	full     string // the ARN as listed
	kind, id string
}

// confirmers asks each service about its own resources; each answers (false, "", nil)
// for a kind it does not know.
var confirmers = map[string]func(context.Context, *clients, resourceRef) (bool, string, error){
	"ec2":      confirmEC2,
	"batch":    confirmBatch,
	"ecs":      confirmECS,
	"s3":       confirmS3,
	"logs":     confirmLogs,
	"dynamodb": confirmDynamoDB,
	"ecr":      confirmECR,
	"lambda":   confirmLambda,
}

// confirmEC2: a terminated (or shutting-down) instance and a deleted (or deleting)
// volume stay visible in EC2's answers for a while.
func confirmEC2(ctx context.Context, c *clients, r resourceRef) (bool, string, error) {
	switch r.kind {
	case "instance":
		out, err := c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{r.id}})
		if notFound(err) {
			return true, "EC2 no longer knows it", nil
		}
		if err != nil {
			return false, "", err
		}
		for _, res := range out.Reservations {
			for _, i := range res.Instances {
				if s := string(i.State.Name); s == "terminated" || s == "shutting-down" {
					return true, "EC2 says it is " + s, nil
				}
			}
		}
	case "volume":
		out, err := c.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{r.id}})
		if notFound(err) || (err == nil && len(out.Volumes) == 0) {
			return true, "EC2 no longer knows it", nil
		}
		if err != nil {
			return false, "", err
		}
		if s := string(out.Volumes[0].State); s == "deleting" || s == "deleted" {
			return true, "EC2 says it is " + s, nil
		}
	}
	return false, "", nil
}

// confirmBatch: Batch answers an unknown compute environment or job queue with an
// empty list, not an error.
func confirmBatch(ctx context.Context, c *clients, r resourceRef) (bool, string, error) {
	var status string
	found := false
	switch r.kind {
	case "compute-environment":
		out, err := c.batch.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{r.full}})
		if err != nil {
			return false, "", err
		}
		for _, ce := range out.ComputeEnvironments {
			found, status = true, string(ce.Status)
		}
	case "job-queue":
		out, err := c.batch.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{JobQueues: []string{r.full}})
		if err != nil {
			return false, "", err
		}
		for _, q := range out.JobQueues {
			found, status = true, string(q.Status)
		}
	default:
		return false, "", nil
	}
	if !found {
		return true, "Batch no longer knows it", nil
	}
	if status == "DELETING" || status == "DELETED" {
		return true, "Batch says it is " + status, nil
	}
	return false, "", nil
}

// confirmECS: a deleted cluster stays visible as INACTIVE for a while
// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteCluster.html).
func confirmECS(ctx context.Context, c *clients, r resourceRef) (bool, string, error) {
	if r.kind != "cluster" {
		return false, "", nil
	}
	out, err := c.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{r.full}})
	if err != nil {
		return false, "", err
	}
	if len(out.Clusters) == 0 {
		return true, "ECS no longer knows it", nil
	}
	if s := aws.ToString(out.Clusters[0].Status); s == "INACTIVE" {
		return true, "ECS says it is " + s, nil
	}
	return false, "", nil
}

// confirmS3 knows buckets only (a bucket's ARN has no "/"; an object's has).
func confirmS3(ctx context.Context, c *clients, r resourceRef) (bool, string, error) {
	if strings.Contains(r.Resource, "/") {
		return false, "", nil
	}
	_, err := c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(r.Resource)})
	if notFound(err) {
		return true, "S3 has no such bucket", nil
	}
	return false, "", err
}

// confirmLogs looks the log group up by name: DescribeLogGroups takes a prefix, and
// answers an unknown one with an empty list.
func confirmLogs(ctx context.Context, c *clients, r resourceRef) (bool, string, error) {
	if !strings.HasPrefix(r.Resource, "log-group:") {
		return false, "", nil
	}
	name := strings.TrimSuffix(strings.TrimPrefix(r.Resource, "log-group:"), ":*")
	out, err := c.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	if err != nil {
		return false, "", err
	}
	for _, g := range out.LogGroups {
		if aws.ToString(g.LogGroupName) == name {
			return false, "", nil
		}
	}
	return true, "CloudWatch Logs has no such log group", nil
}

// confirmDynamoDB knows tables (not their indexes or streams, whose ARNs go on
// after the table's name).
func confirmDynamoDB(ctx context.Context, c *clients, r resourceRef) (bool, string, error) {
	if r.kind != "table" || strings.Contains(r.id, "/") {
		return false, "", nil
	}
	out, err := c.dynamodb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(r.id)})
	if notFound(err) {
		return true, "DynamoDB has no such table", nil
	}
	if err != nil {
		return false, "", err
	}
	if s := string(out.Table.TableStatus); s == "DELETING" {
		return true, "DynamoDB says it is " + s, nil
	}
	return false, "", nil
}

func confirmECR(ctx context.Context, c *clients, r resourceRef) (bool, string, error) {
	if r.kind != "repository" {
		return false, "", nil
	}
	_, err := c.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{r.id}})
	if notFound(err) {
		return true, "ECR has no such repository", nil
	}
	return false, "", err
}

func confirmLambda(ctx context.Context, c *clients, r resourceRef) (bool, string, error) {
	if !strings.HasPrefix(r.Resource, "function:") {
		return false, "", nil
	}
	_, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(r.full)})
	if notFound(err) {
		return true, "Lambda has no such function", nil
	}
	return false, "", err
}

// notFound: the service answered that the resource does not exist.
func notFound(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	code := apiErr.ErrorCode()
	return strings.Contains(code, "NotFound") || code == "NoSuchBucket" || code == "404"
}
