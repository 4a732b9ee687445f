package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
)

// The stacks take their images from AWS's public SSM parameters, which CloudFormation
// resolves only when it deploys: a parameter that does not exist in the region (a DLAMI
// line AWS does not publish for arm64, or one it retired) fails the deploy after minutes
// with "Unable to fetch parameters [...] from parameter store". preflight reads each
// parameter first, and for a missing DLAMI names one that exists.

// ssmAPI is what preflight asks Systems Manager (the SDK client satisfies it).
type ssmAPI interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	GetParametersByPath(context.Context, *ssm.GetParametersByPathInput, ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
}

// image is one public parameter a stack reads, and what the region answered.
type image struct {
	Parameter string
	Arch      string // x86_64 or arm64
	ImageID   string // the parameter's value; "" when the parameter does not exist
	// Suggest is, for a missing DLAMI parameter, the newest PyTorch DLAMI parameter that
	// exists in the region for Arch ("" when there is none).
	Suggest string
}

// imageParameters are the public SSM parameters stack reads for an instance type of
// arch (see stacks/): MyFirstEc2's Amazon Linux 2023 and Ec2ForDl's Deep Learning AMI
// (dlami overrides its default, as -c dlami_parameter does). SimpleBatch reads none:
// Batch picks the ECS-optimized GPU image itself (EcsMachineImageType ECS_AL2023_NVIDIA).
func imageParameters(stack, arch, dlami string) []string {
	switch stack {
	case handsons.MyFirstEc2:
		return []string{handsons.AL2023Parameter(arch)}
	case handsons.Ec2ForDl:
		if dlami == "" {
			dlami = handsons.DlamiParameter(arch)
		}
		return []string{dlami}
	}
	return nil
}

// checkImages reads every public parameter the stack will read, in the learner's region.
func checkImages(ctx context.Context, ec2c ec2API, ssmc ssmAPI, req request) ([]image, error) {
	if len(imageParameters(req.Stack, "x86_64", req.DlamiParameter)) == 0 {
		return nil, nil
	}
	arch, err := archOf(ctx, ec2c, req.InstanceType)
	if err != nil {
		return nil, err
	}
	var images []image
	for _, name := range imageParameters(req.Stack, arch, req.DlamiParameter) {
		im := image{Parameter: name, Arch: arch}
		out, err := ssmc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		var notFound *ssmtypes.ParameterNotFound
		switch {
		case err == nil:
			im.ImageID = aws.ToString(out.Parameter.Value)
		case errors.As(err, &notFound):
			if req.Stack == handsons.Ec2ForDl {
				if im.Suggest, err = newestDlami(ctx, ssmc, arch); err != nil {
					return nil, err
				}
			}
		default:
			return nil, apiFailure("ssm:GetParameter", err)
		}
		images = append(images, im)
	}
	return images, nil
}

// archOf is the CPU architecture of an instance type as the image parameters spell it.
func archOf(ctx context.Context, ec2c ec2API, instanceType string) (string, error) {
	out, err := ec2c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []ec2types.InstanceType{ec2types.InstanceType(instanceType)}})
	if err != nil {
		return "", apiFailure("ec2:DescribeInstanceTypes", err)
	}
	for _, it := range out.InstanceTypes {
		if it.ProcessorInfo != nil && slices.Contains(it.ProcessorInfo.SupportedArchitectures, ec2types.ArchitectureTypeArm64) {
			return "arm64", nil
		}
	}
	return "x86_64", nil
}

// dlamiName matches the PyTorch DLAMIs of the Ubuntu line the stack is written for
// (handsons.DlamiParameterFormat), capturing the PyTorch and Ubuntu versions.
var dlamiName = regexp.MustCompile(`^/aws/service/deeplearning/ami/(x86_64|arm64)/oss-nvidia-driver-gpu-pytorch-(\d+)\.(\d+)-ubuntu-(\d+)\.(\d+)/latest/ami-id$`)

// newestDlami lists the region's DLAMI parameters of arch and returns the one with the
// newest PyTorch (then the newest Ubuntu), or "" when the region publishes none.
func newestDlami(ctx context.Context, ssmc ssmAPI, arch string) (string, error) {
	var best string
	var bestKey []int
	pages := ssm.NewGetParametersByPathPaginator(ssmc, &ssm.GetParametersByPathInput{
		Path: aws.String("/aws/service/deeplearning/ami/" + arch), Recursive: aws.Bool(true),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", apiFailure("ssm:GetParametersByPath", err)
		}
		for _, p := range page.Parameters {
			m := dlamiName.FindStringSubmatch(aws.ToString(p.Name))
			if m == nil || m[1] != arch {
				continue
			}
			key := make([]int, 4)
			for i := range key {
				key[i], _ = strconv.Atoi(m[i+2])
			}
			if best == "" || slices.Compare(key, bestKey) > 0 {
				best, bestKey = m[0], key
			}
		}
	}
	return best, nil
}

// problem is the line for a missing image parameter: what is missing, and the deploy
// command that works (or why none does).
func (im image) problem(req request, deployFlags string) string {
	head := fmt.Sprintf("missing image: %s (%s, %s) reads the public SSM parameter %s, which does not exist in %s",
		req.Stack, req.InstanceType, im.Arch, im.Parameter, req.Region)
	switch {
	case req.Stack != handsons.Ec2ForDl:
		return head + "; the region does not publish this image: choose another region (--region)"
	case im.Suggest != "":
		return fmt.Sprintf("%s; the newest PyTorch DLAMI for %s there is %s: deploy with `npx cdk deploy %s%s -c dlami_parameter=%s` (and check with --dlami-parameter)",
			head, im.Arch, im.Suggest, req.Stack, deployFlags, im.Suggest)
	default:
		return fmt.Sprintf("%s; the region publishes no PyTorch DLAMI for %s: choose another region (--region) or instance type (--instance-type); "+
			"the names are in https://docs.aws.amazon.com/dlami/latest/devguide/appendix-ami-release-notes.html", head, im.Arch)
	}
}
