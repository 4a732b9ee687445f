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
	kind, id, _ := strings.Cut(a.Resource, "/")
	switch {
	case a.Service == "ec2" && kind == "instance":
		out, err := c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		if notFound(err) {
			return true, "EC2 no longer knows it", nil
		}
		if err != nil {
			return false, "", err
		}
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				if s := string(i.State.Name); s == "terminated" || s == "shutting-down" {
					return true, "EC2 says it is " + s, nil
				}
			}
		}
	case a.Service == "ec2" && kind == "volume":
		out, err := c.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
		if notFound(err) || (err == nil && len(out.Volumes) == 0) {
			return true, "EC2 no longer knows it", nil
		}
		if err != nil {
			return false, "", err
		}
		if s := string(out.Volumes[0].State); s == "deleting" || s == "deleted" {
			return true, "EC2 says it is " + s, nil
		}
	case a.Service == "batch" && (kind == "compute-environment" || kind == "job-queue"):
		var status string
		found := false
		if kind == "compute-environment" {
			out, err := c.batch.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{resourceARN}})
			if err != nil {
				return false, "", err
			}
			for _, ce := range out.ComputeEnvironments {
				found, status = true, string(ce.Status)
			}
		} else {
			out, err := c.batch.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{JobQueues: []string{resourceARN}})
			if err != nil {
				return false, "", err
			}
			for _, q := range out.JobQueues {
				found, status = true, string(q.Status)
			}
		}
		if !found {
			return true, "Batch no longer knows it", nil
		}
		if status == "DELETING" || status == "DELETED" {
			return true, "Batch says it is " + status, nil
		}
	case a.Service == "ecs" && kind == "cluster":
		// A deleted cluster stays visible as INACTIVE for a while
		// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteCluster.html).
		out, err := c.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{resourceARN}})
		if err != nil {
			return false, "", err
		}
		if len(out.Clusters) == 0 {
			return true, "ECS no longer knows it", nil
		}
		if s := aws.ToString(out.Clusters[0].Status); s == "INACTIVE" {
			return true, "ECS says it is " + s, nil
		}
	case a.Service == "s3" && !strings.Contains(a.Resource, "/"):
		_, err := c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(a.Resource)})
		if notFound(err) {
			return true, "S3 has no such bucket", nil
		}
		return false, "", err
	case a.Service == "logs" && strings.HasPrefix(a.Resource, "log-group:"):
		name := strings.TrimSuffix(strings.TrimPrefix(a.Resource, "log-group:"), ":*")
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
	case a.Service == "dynamodb" && kind == "table" && !strings.Contains(id, "/"):
		out, err := c.dynamodb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(id)})
		if notFound(err) {
			return true, "DynamoDB has no such table", nil
		}
		if err != nil {
			return false, "", err
		}
		if s := string(out.Table.TableStatus); s == "DELETING" {
			return true, "DynamoDB says it is " + s, nil
		}
	case a.Service == "ecr" && kind == "repository":
		_, err := c.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{id}})
		if notFound(err) {
			return true, "ECR has no such repository", nil
		}
		return false, "", err
	case a.Service == "lambda" && strings.HasPrefix(a.Resource, "function:"):
		_, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(resourceARN)})
		if notFound(err) {
			return true, "Lambda has no such function", nil
		}
		return false, "", err
	}
	return false, "", nil
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
