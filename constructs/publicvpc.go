// Package constructs holds the pieces that more than one hands-on stack uses.
// Each construct is an exported interface over an unexported struct (the CDK
// workshop's hit-counter pattern), so stacks depend on what a piece offers, not on
// how it is built.
package constructs

import (
	"fmt"
	"net/netip"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// defaultVpcCidr is the address range the course gave its hands-on VPCs.
const defaultVpcCidr = "10.10.0.0/23"

// PublicVpcProps configures NewPublicVpc.
type PublicVpcProps struct {
	// Cidr is the VPC's IPv4 range. Default defaultVpcCidr.
	Cidr string
	// AzCount is how many Availability Zones get a public subnet (1 or 2). nil: one
	// per Zones entry, else 1 as in the course. Each subnet takes one half of the /23.
	AzCount *int
	// Zones, when set, names the zones of the subnets (one per subnet) instead of the
	// region's first ones: for instance types the first zone does not offer.
	Zones []string
}

// PublicVpc is a VPC with public subnets only: an internet gateway and a route to it,
// no NAT gateway, no private subnets, no interface endpoints. Nothing in it bills while
// idle; instances in it get a public IPv4 address (billed per hour while it exists).
type PublicVpc interface {
	cdkconstructs.Construct
	// Vpc is the network as a CDK IVpc, for instances, ECS clusters and Batch.
	Vpc() awsec2.IVpc
	// PublicSubnets selects the public subnets.
	PublicSubnets() *awsec2.SubnetSelection
	// InternetReady completes when the subnets have their route to the internet gateway.
	// Resources that reach the internet while CloudFormation creates them (an instance's
	// first boot, a Batch compute environment) must depend on it: an imported VPC cannot
	// add that dependency by itself the way the L2 ec2.Vpc does.
	InternetReady() cdkconstructs.IDependable
}

type publicVpc struct {
	cdkconstructs.Construct
	vpc           awsec2.IVpc
	internetReady cdkconstructs.DependencyGroup
}

// NewPublicVpc builds the network from CloudFormation resources and hands it to CDK as
// an imported VPC. The L2 ec2.Vpc would ask the account for its Availability Zone names
// whenever the stack has an account and region, and that lookup needs credentials at
// synth time; here each subnet's zone is `Fn::Select [i, Fn::GetAZs ""]`, which
// CloudFormation resolves at deploy time in whatever region it runs.
func NewPublicVpc(scope cdkconstructs.Construct, id string, props *PublicVpcProps) PublicVpc {
	p := PublicVpcProps{}
	if props != nil {
		p = *props
	}
	if p.Cidr == "" {
		p.Cidr = defaultVpcCidr
	}
	azCount := max(1, len(p.Zones))
	if p.AzCount != nil {
		azCount = *p.AzCount
	}
	if azCount < 1 || azCount > 2 || (len(p.Zones) > 0 && len(p.Zones) != azCount) {
		panic(fmt.Sprintf("PublicVpc %s: AzCount must be 1 or 2 and match Zones, got %d and %v", id, azCount, p.Zones))
	}

	this := cdkconstructs.NewConstruct(scope, jsii.String(id))

	vpc := awsec2.NewCfnVPC(this, jsii.String("Vpc"), &awsec2.CfnVPCProps{
		CidrBlock:          jsii.String(p.Cidr),
		EnableDnsHostnames: jsii.Bool(true), // instances get public DNS names (InstancePublicDnsName)
		EnableDnsSupport:   jsii.Bool(true),
	})
	awscdk.Tags_Of(vpc).Add(jsii.String("Name"), jsii.String(*awscdk.Stack_Of(this).StackName()+"/Vpc"), nil)
	cdknag.NagSuppressions_AddResourceSuppressions(vpc, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-VPC7"),
		Reason: jsii.String("Flow logs add a log group and a role to a VPC that lives for one hands-on; enable them for anything long-lived."),
	}}, jsii.Bool(false))

	igw := awsec2.NewCfnInternetGateway(this, jsii.String("InternetGateway"), &awsec2.CfnInternetGatewayProps{})
	attach := awsec2.NewCfnVPCGatewayAttachment(this, jsii.String("InternetGatewayAttachment"), &awsec2.CfnVPCGatewayAttachmentProps{
		VpcId:             vpc.Ref(),
		InternetGatewayId: igw.Ref(),
	})

	routeTable := awsec2.NewCfnRouteTable(this, jsii.String("PublicRouteTable"), &awsec2.CfnRouteTableProps{VpcId: vpc.Ref()})
	defaultRoute := awsec2.NewCfnRoute(this, jsii.String("DefaultRoute"), &awsec2.CfnRouteProps{
		RouteTableId:         routeTable.Ref(),
		DestinationCidrBlock: jsii.String("0.0.0.0/0"),
		GatewayId:            igw.Ref(),
	})
	// The route can only be created once the gateway is attached to the VPC.
	defaultRoute.Node().AddDependency(attach)

	// Anything that needs the internet at boot (instances, Batch hosts) waits for this.
	internetReady := cdkconstructs.NewDependencyGroup()
	internetReady.Add(defaultRoute)

	halves := splitInHalves(p.Cidr) // with the course's /23: two /24s
	var subnetIDs, zones, routeTables []*string
	for i := 0; i < azCount; i++ {
		zone := awscdk.Fn_Select(jsii.Number(i), awscdk.Fn_GetAzs(jsii.String("")))
		if len(p.Zones) > 0 {
			zone = jsii.String(p.Zones[i])
		}
		subnet := awsec2.NewCfnSubnet(this, jsii.String(fmt.Sprintf("PublicSubnet%d", i+1)), &awsec2.CfnSubnetProps{
			VpcId:               vpc.Ref(),
			AvailabilityZone:    zone,
			CidrBlock:           jsii.String(halves[i]),
			MapPublicIpOnLaunch: jsii.Bool(true),
		})
		awscdk.Tags_Of(subnet).Add(jsii.String("Name"), jsii.String(fmt.Sprintf("%s/PublicSubnet%d", *awscdk.Stack_Of(this).StackName(), i+1)), nil)
		assoc := awsec2.NewCfnSubnetRouteTableAssociation(this, jsii.String(fmt.Sprintf("PublicSubnet%dRouteTableAssociation", i+1)), &awsec2.CfnSubnetRouteTableAssociationProps{
			SubnetId:     subnet.Ref(),
			RouteTableId: routeTable.Ref(),
		})
		internetReady.Add(assoc)
		subnetIDs = append(subnetIDs, subnet.Ref())
		zones = append(zones, zone)
		routeTables = append(routeTables, routeTable.Ref())
	}

	imported := awsec2.Vpc_FromVpcAttributes(this, jsii.String("Imported"), &awsec2.VpcAttributes{
		VpcId:                     vpc.Ref(),
		VpcCidrBlock:              jsii.String(p.Cidr),
		AvailabilityZones:         &zones,
		PublicSubnetIds:           &subnetIDs,
		PublicSubnetRouteTableIds: &routeTables,
	})
	return &publicVpc{Construct: this, vpc: imported, internetReady: internetReady}
}

func (v *publicVpc) Vpc() awsec2.IVpc { return v.vpc }

func (v *publicVpc) PublicSubnets() *awsec2.SubnetSelection {
	return &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC}
}

func (v *publicVpc) InternetReady() cdkconstructs.IDependable { return v.internetReady }

// splitInHalves splits an IPv4 CIDR into its two halves: 10.10.0.0/23 gives
// 10.10.0.0/24 and 10.10.1.0/24. The range comes from code, so a bad one is a bug.
func splitInHalves(cidr string) [2]string {
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil || !prefix.Addr().Is4() || prefix.Bits() > 27 || prefix.Masked() != prefix {
		panic(fmt.Sprintf("PublicVpc: %q is not an IPv4 network of /27 or larger", cidr))
	}
	first := netip.PrefixFrom(prefix.Addr(), prefix.Bits()+1)
	b := prefix.Addr().As4()
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n += 1 << (32 - prefix.Bits() - 1)
	second := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), prefix.Bits()+1)
	return [2]string{first.String(), second.String()}
}
