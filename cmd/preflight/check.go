package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	sqtypes "github.com/aws/aws-sdk-go-v2/service/servicequotas/types"
	"github.com/aws/smithy-go"

	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
)

// ec2API is what preflight asks EC2 (the SDK client satisfies it).
type ec2API interface {
	DescribeInstanceTypes(context.Context, *ec2.DescribeInstanceTypesInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceTypesOutput, error)
	DescribeInstanceTypeOfferings(context.Context, *ec2.DescribeInstanceTypeOfferingsInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error)
	DescribeAvailabilityZones(context.Context, *ec2.DescribeAvailabilityZonesInput, ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error)
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
}

// quotasAPI is what preflight asks Service Quotas.
type quotasAPI interface {
	GetServiceQuota(context.Context, *servicequotas.GetServiceQuotaInput, ...func(*servicequotas.Options)) (*servicequotas.GetServiceQuotaOutput, error)
	GetAWSDefaultServiceQuota(context.Context, *servicequotas.GetAWSDefaultServiceQuotaInput, ...func(*servicequotas.Options)) (*servicequotas.GetAWSDefaultServiceQuotaOutput, error)
}

// request is one question: can Stack start Count instances of InstanceType?
type request struct {
	Stack        string
	InstanceType string
	Count        int
	Spot         bool
	Region       string
	Zone         string // the zone the stack will use; "" = the region's first zone
	// DlamiParameter is Ec2ForDl's image parameter when not the default (-c dlami_parameter).
	DlamiParameter string
}

// verdict is the answer.
type verdict int

const (
	verdictOK         verdict = iota
	verdictRaiseQuota         // the vCPU quota is too small
	verdictNotOffered         // the zone (or region) does not offer the type
	verdictNoImage            // an image parameter the stack reads does not exist
)

type result struct {
	Verdict    verdict
	VCPUs      int // per instance
	Needed     int // vCPUs for Count instances
	QuotaName  string
	QuotaCode  string
	QuotaValue int
	InUse      int      // vCPUs of running instances of the same class and market
	Zone       string   // the zone checked
	Offering   []string // zones of the region that offer the type
	Images     []image  // the public image parameters the stack reads
}

// userError is a problem the learner can fix; its message is the whole line.
type userError struct{ msg string }

func (e *userError) Error() string { return e.msg }

func check(ctx context.Context, ec2c ec2API, sq quotasAPI, ssmc ssmAPI, req request) (*result, error) {
	res := &result{}

	vcpus, err := vcpusOf(ctx, ec2c, []string{req.InstanceType})
	if err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidInstanceType" {
			return nil, &userError{fmt.Sprintf("unknown instance type %q in %s: check the spelling (for example g4dn.xlarge); `aws ec2 describe-instance-type-offerings --region %s` lists what the region offers",
				req.InstanceType, req.Region, req.Region)}
		}
		return nil, apiFailure("ec2:DescribeInstanceTypes", err)
	}
	res.VCPUs = vcpus[req.InstanceType]
	res.Needed = res.VCPUs * req.Count

	class, code, err := quotaFor(req.InstanceType, req.Spot)
	if err != nil {
		return nil, &userError{err.Error()}
	}
	res.QuotaCode = code
	if res.QuotaName, res.QuotaValue, err = quotaValue(ctx, sq, code); err != nil {
		return nil, err
	}
	if res.InUse, err = vcpusInUse(ctx, ec2c, class, req.Spot); err != nil {
		return nil, err
	}

	if res.Zone, res.Offering, err = zones(ctx, ec2c, req); err != nil {
		return nil, err
	}
	if res.Images, err = checkImages(ctx, ec2c, ssmc, req); err != nil {
		return nil, err
	}
	switch {
	case !slices.Contains(res.Offering, res.Zone):
		res.Verdict = verdictNotOffered
	case res.InUse+res.Needed > res.QuotaValue:
		res.Verdict = verdictRaiseQuota
	case slices.ContainsFunc(res.Images, func(im image) bool { return im.ImageID == "" }):
		res.Verdict = verdictNoImage
	}
	return res, nil
}

// vcpusOf returns the default vCPU count of each instance type.
func vcpusOf(ctx context.Context, ec2c ec2API, types []string) (map[string]int, error) {
	out := map[string]int{}
	for start := 0; start < len(types); start += 100 {
		batch := types[start:min(start+100, len(types))]
		list := make([]ec2types.InstanceType, len(batch))
		for i, t := range batch {
			list[i] = ec2types.InstanceType(t)
		}
		resp, err := ec2c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: list})
		if err != nil {
			return nil, err
		}
		for _, it := range resp.InstanceTypes {
			if it.VCpuInfo != nil && it.VCpuInfo.DefaultVCpus != nil {
				out[string(it.InstanceType)] = int(*it.VCpuInfo.DefaultVCpus)
			}
		}
	}
	return out, nil
}

// quotaValue reads the account's applied quota, or AWS's default when the account never
// changed it (Service Quotas then answers NoSuchResourceException).
func quotaValue(ctx context.Context, sq quotasAPI, code string) (string, int, error) {
	applied, err := sq.GetServiceQuota(ctx, &servicequotas.GetServiceQuotaInput{ServiceCode: aws.String("ec2"), QuotaCode: aws.String(code)})
	if err == nil {
		return aws.ToString(applied.Quota.QuotaName), int(aws.ToFloat64(applied.Quota.Value)), nil
	}
	var missing *sqtypes.NoSuchResourceException
	if !errors.As(err, &missing) {
		return "", 0, apiFailure("servicequotas:GetServiceQuota", err)
	}
	def, err := sq.GetAWSDefaultServiceQuota(ctx, &servicequotas.GetAWSDefaultServiceQuotaInput{ServiceCode: aws.String("ec2"), QuotaCode: aws.String(code)})
	if err != nil {
		return "", 0, apiFailure("servicequotas:GetAWSDefaultServiceQuota", err)
	}
	return aws.ToString(def.Quota.QuotaName), int(aws.ToFloat64(def.Quota.Value)), nil
}

// vcpusInUse adds up the vCPUs of pending and running instances that count against the
// same quota: same class, and spot instances for the spot quota, on-demand otherwise.
func vcpusInUse(ctx context.Context, ec2c ec2API, class quotaClass, spot bool) (int, error) {
	counts := map[string]int{}
	pages := ec2.NewDescribeInstancesPaginator(ec2c, &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}}},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return 0, apiFailure("ec2:DescribeInstances", err)
		}
		for _, r := range page.Reservations {
			for _, inst := range r.Instances {
				isSpot := inst.InstanceLifecycle == ec2types.InstanceLifecycleTypeSpot
				if isSpot == spot && sameClass(string(inst.InstanceType), class) {
					counts[string(inst.InstanceType)]++
				}
			}
		}
	}
	if len(counts) == 0 {
		return 0, nil
	}
	types := make([]string, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	sort.Strings(types)
	vcpus, err := vcpusOf(ctx, ec2c, types)
	if err != nil {
		return 0, apiFailure("ec2:DescribeInstanceTypes", err)
	}
	total := 0
	for t, n := range counts {
		total += vcpus[t] * n
	}
	return total, nil
}

// zones returns the zone the stack will use and the region's zones that offer the type.
// Without a pinned zone the stack's subnet is in `Fn::Select [0, Fn::GetAZs ""]`: the
// first of the region's available zones in name order.
func zones(ctx context.Context, ec2c ec2API, req request) (string, []string, error) {
	zone := req.Zone
	if zone == "" {
		azs, err := ec2c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{
			Filters: []ec2types.Filter{
				{Name: aws.String("state"), Values: []string{"available"}},
				{Name: aws.String("zone-type"), Values: []string{"availability-zone"}},
			},
		})
		if err != nil {
			return "", nil, apiFailure("ec2:DescribeAvailabilityZones", err)
		}
		var names []string
		for _, az := range azs.AvailabilityZones {
			names = append(names, aws.ToString(az.ZoneName))
		}
		if len(names) == 0 {
			return "", nil, &userError{fmt.Sprintf("EC2 lists no Availability Zone in %s: is the region enabled for your account?", req.Region)}
		}
		sort.Strings(names)
		zone = names[0]
	}
	var offering []string
	pages := ec2.NewDescribeInstanceTypeOfferingsPaginator(ec2c, &ec2.DescribeInstanceTypeOfferingsInput{
		LocationType: ec2types.LocationTypeAvailabilityZone,
		Filters:      []ec2types.Filter{{Name: aws.String("instance-type"), Values: []string{req.InstanceType}}},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", nil, apiFailure("ec2:DescribeInstanceTypeOfferings", err)
		}
		for _, o := range page.InstanceTypeOfferings {
			offering = append(offering, aws.ToString(o.Location))
		}
	}
	sort.Strings(offering)
	return zone, offering, nil
}

// apiFailure turns an AWS error into one line that names the call and, for missing
// permissions, what to grant.
func apiFailure(call string, err error) error {
	if errors.Is(err, context.Canceled) {
		return err // Ctrl-C: the skeleton says "interrupted" and exits 130
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && (strings.Contains(apiErr.ErrorCode(), "Denied") || apiErr.ErrorCode() == "UnauthorizedOperation") {
		return &userError{fmt.Sprintf("%s was denied: your credentials need ec2:Describe*, servicequotas:Get* and ssm:GetParameter* (the ReadOnlyAccess policy has them all)", call)}
	}
	return &userError{awsenv.Explain(call, err).Error()}
}
