package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
)

// deleteStack starts deleting a stack (one tagged as ours: see isOurStack). A stack whose
// deletion failed because a bucket was not empty is retried after emptying it (the usual
// cause with buckets that were created without auto-delete, or filled after the
// auto-delete hook ran), but only a bucket that itself carries our tag: a stack may
// hold a bucket that someone else filled or imported, and its data is not ours to drop.
func deleteStack(ctx context.Context, c *clients, name string) error {
	res, err := c.cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(name)})
	if err == nil {
		for _, r := range res.StackResources {
			if r.ResourceStatus == cfntypes.ResourceStatusDeleteFailed && aws.ToString(r.ResourceType) == "AWS::S3::Bucket" {
				bucket := aws.ToString(r.PhysicalResourceId)
				if !bucketIsOurs(ctx, c, bucket) {
					return fmt.Errorf("bucket %s blocks the deletion and is not tagged Project=%s: empty it yourself if its objects may go (aws s3 rm s3://%s --recursive), then run leftovers again", bucket, handsons.ProjectTag, bucket)
				}
				if err := emptyBucket(ctx, c, bucket); err != nil {
					return err
				}
			}
		}
	}
	_, err = c.cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name)})
	return err
}

// bucketIsOurs: the bucket carries the tag Project=intro-aws-go.
func bucketIsOurs(ctx context.Context, c *clients, bucket string) bool {
	out, err := c.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if err != nil {
		return false
	}
	for _, t := range out.TagSet {
		if aws.ToString(t.Key) == "Project" && aws.ToString(t.Value) == handsons.ProjectTag {
			return true
		}
	}
	return false
}

func deleteLogGroup(ctx context.Context, c *clients, name string) error {
	_, err := c.logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(name)})
	return err
}

func deleteBucket(ctx context.Context, c *clients, bucket string) error {
	if err := emptyBucket(ctx, c, bucket); err != nil {
		return err
	}
	_, err := c.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	return err
}

// emptyBucket deletes every object version and delete marker, 1000 at a time.
func emptyBucket(ctx context.Context, c *clients, bucket string) error {
	pages := s3.NewListObjectVersionsPaginator(c.s3, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		var ids []s3types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if len(ids) == 0 {
			continue
		}
		out, err := c.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil {
			return err
		}
		if len(out.Errors) > 0 {
			return fmt.Errorf("%d objects of %s could not be deleted: %s", len(out.Errors), bucket, aws.ToString(out.Errors[0].Message))
		}
	}
	return nil
}
