// Command preflight checks, before `npx cdk deploy`, that the account may start the
// hands-on's instances: the vCPU quota of the instance family (on-demand or spot),
// counting what already runs, and that the zone the stack uses offers the type. New
// accounts start with a GPU quota of 0, and CloudFormation only says VcpuLimitExceeded
// after minutes of waiting; this says which quota to raise, by how much, and how. It
// also reads the public SSM parameters the stack takes its image from (images.go).
//
//	go run ./cmd/preflight [--spot] [--instance-type TYPE] [--count N] [--zone ZONE] [--dlami-parameter P] [--region R] [--profile P] [STACK]
//
// STACK is Ec2ForDl (the default), SimpleBatch or MyFirstEc2. Exit status: 0 ok, 1 the
// deploy would fail (quota, zone or image), 2 the check could not run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

const (
	exitOK      = 0
	exitProblem = 1
	exitError   = 2
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "preflight: "+format+"\n", a...)
		return exitError
	}

	fs := flag.NewFlagSet("preflight", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spot := fs.Bool("spot", false, "check the spot quota (deploy with -c spot=true)")
	instanceType := fs.String("instance-type", "", "instance type to check (default: the stack's; deploy with -c instance_type=...)")
	count := fs.Int("count", 1, "how many instances must run at once")
	zone := fs.String("zone", "", "the zone the stack will use (deploy with -c availability_zone=...); default: the region's first")
	region := fs.String("region", "", "AWS region (default: AWS_REGION or your profile's)")
	profile := fs.String("profile", "", "AWS CLI profile (default: AWS_PROFILE or default)")
	dlami := fs.String("dlami-parameter", "", "Ec2ForDl: the image parameter you deploy with (-c dlami_parameter=...); default: the stack's for the type's architecture")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./cmd/preflight [flags] [%s]\n\nChecks the EC2 vCPU quota, the zone and the image parameters before `npx cdk deploy`.\n\n", strings.Join(stackNames(), "|"))
		fs.PrintDefaults()
	}
	positional, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitError // the flag package already printed the reason and the usage
	}

	stack := handsons.Ec2ForDl
	switch len(positional) {
	case 0:
	case 1:
		stack = positional[0]
	default:
		return fail("one stack at a time, got %s", strings.Join(positional, " "))
	}
	defaultType, known := handsons.EC2Stacks[stack]
	if !known {
		return fail("unknown stack %q: preflight checks %s", stack, strings.Join(stackNames(), ", "))
	}
	if *instanceType == "" {
		*instanceType = defaultType
	}
	if *dlami != "" && stack != handsons.Ec2ForDl {
		return fail("--dlami-parameter is Ec2ForDl's image (-c dlami_parameter); %s does not read it", stack)
	}
	if *count < 1 {
		return fail("--count must be at least 1, got %d", *count)
	}

	cfg, err := awsenv.Load(ctx, *region, *profile)
	if err != nil {
		return fail("%v", err)
	}

	req := request{Stack: stack, InstanceType: *instanceType, Count: *count, Spot: *spot, Region: cfg.Region, Zone: *zone, DlamiParameter: *dlami}
	res, err := check(ctx, ec2.NewFromConfig(cfg), servicequotas.NewFromConfig(cfg), ssm.NewFromConfig(cfg), req)
	if err != nil {
		var ue *userError
		if errors.As(err, &ue) {
			return fail("%s", ue.msg)
		}
		return fail("%v", err)
	}
	report(stdout, req, res)
	if res.Verdict != verdictOK {
		return exitProblem
	}
	return exitOK
}

// report prints one line per finding: "ok", or each reason the deploy would fail.
func report(w io.Writer, req request, res *result) {
	market := "on-demand"
	deployFlags := ""
	// The per-stack form (-c Stack:key=value) reaches this stack only, whatever the
	// plain form would do (config's rules: a CPU type for SimpleBatch needs it).
	if req.Spot {
		market, deployFlags = "spot", " -c "+req.Stack+":spot=true"
	}
	if req.InstanceType != handsons.EC2Stacks[req.Stack] {
		deployFlags += " -c " + req.Stack + ":instance_type=" + req.InstanceType
	}
	for _, im := range res.Images {
		if im.ImageID == "" {
			fmt.Fprintln(w, im.problem(req, deployFlags))
		}
	}
	what := fmt.Sprintf("%d × %s %s (%d vCPUs)", req.Count, market, req.InstanceType, res.Needed)
	quota := fmt.Sprintf("%q (%s)", res.QuotaName, res.QuotaCode)

	if res.Verdict == verdictNotOffered {
		if len(res.Offering) == 0 {
			fmt.Fprintf(w, "not offered: %s is not offered anywhere in %s; choose another region (--region) or instance type (--instance-type)\n",
				req.InstanceType, req.Region)
		} else if req.Stack == handsons.SimpleBatch {
			// SimpleBatch's hosts spread over two zones and take no availability_zone.
			fmt.Fprintf(w, "not offered: %s is not offered in %s, a zone %s uses; choose another instance type (--instance-type) or region (zones that offer it: %s)\n",
				req.InstanceType, res.Zone, req.Stack, strings.Join(res.Offering, ", "))
		} else {
			fmt.Fprintf(w, "not offered: %s is not offered in %s, the zone %s uses; deploy with `npx cdk deploy %s%s -c %s:availability_zone=%s` (zones that offer it: %s)\n",
				req.InstanceType, res.Zone, req.Stack, req.Stack, deployFlags, req.Stack, res.Offering[0], strings.Join(res.Offering, ", "))
		}
	}
	if free := res.QuotaValue - res.InUse; res.Needed > free {
		desired := res.InUse + res.Needed
		fmt.Fprintf(w, "raise quota: %s needs %s in %s but %s is %d vCPUs with %d in use; raise it by %d to %d: "+
			"aws service-quotas request-service-quota-increase --region %s --service-code ec2 --quota-code %s --desired-value %d "+
			"(or https://%s.console.aws.amazon.com/servicequotas/home/services/ec2/quotas/%s)\n",
			req.Stack, what, req.Region, quota, res.QuotaValue, res.InUse, desired-res.QuotaValue, desired,
			req.Region, res.QuotaCode, desired, req.Region, res.QuotaCode)
		return
	}
	if res.Verdict == verdictOK {
		images := ""
		for _, im := range res.Images {
			images += fmt.Sprintf("; image %s from %s", im.ImageID, im.Parameter)
		}
		fmt.Fprintf(w, "ok: %s can start %s in %s; %s allows %d vCPUs, %d in use%s\n",
			req.Stack, what, res.Zone, quota, res.QuotaValue, res.InUse, images)
	}
}

// parseInterleaved lets flags come before or after the stack name, as learners type
// `go run ./cmd/preflight Ec2ForDl --spot` as often as the other way round.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func stackNames() []string {
	names := make([]string, 0, len(handsons.EC2Stacks))
	for name := range handsons.EC2Stacks {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
