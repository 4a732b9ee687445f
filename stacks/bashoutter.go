package stacks

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/intro-aws-go/intro-aws-go/constructs"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/bashoutter"
	"github.com/intro-aws-go/intro-aws-go/internal/project"
)

// BashoutterStackProps are the inputs of Bashoutter.
type BashoutterStackProps struct {
	awscdk.StackProps
}

// bashoutterRoute is one route of the API and the function that serves it.
type bashoutterRoute struct {
	routeKey string // as in bashoutter.Routes
	function string // the course's function name
	action   string // the only DynamoDB call the function may make
	index    bool   // the call is on the newest-first index, not the table
}

var bashoutterRoutes = []bashoutterRoute{
	{bashoutter.RouteList, "GetHaiku", "dynamodb:Query", true},
	{bashoutter.RoutePost, "PostHaiku", "dynamodb:PutItem", false},
	{bashoutter.RouteLike, "PatchHaiku", "dynamodb:UpdateItem", false},
	{bashoutter.RouteDelete, "DeleteHaiku", "dynamodb:DeleteItem", false},
}

// NewBashoutterStack builds hands-on #6 (「Bashoutter: 俳句を投稿する SNS」): a table of
// haiku, four Go Lambda functions behind an HTTP API, and the web page in a private
// bucket served by CloudFront over HTTPS.
func NewBashoutterStack(scope cdkconstructs.Construct, id string, props *BashoutterStackProps) awscdk.Stack {
	p := propsOf(props)
	stack := awscdk.NewStack(scope, &id, &p.StackProps)

	table := haikuTable(stack)
	site, distribution := webSite(stack, id)
	siteURL := jsii.String("https://" + *distribution.DistributionDomainName())
	functions := haikuFunctions(stack, table)
	httpAPI, apiURL := haikuAPI(stack, id, siteURL, functions)
	deployment := uploadPage(stack, site, distribution, apiURL)

	output(stack, "SiteUrl", siteURL, "Open this in your browser")
	output(stack, "ApiUrl", apiURL, "Base URL of the haiku API (GET/POST /haiku, PATCH/DELETE /haiku/{item_id})")
	output(stack, "TableName", table.TableName(), "The table of haiku")

	suppressBashoutterNag(stack, distribution, httpAPI, deployment)
	return stack
}

// haikuTable is step 1: the table of haiku (key item_id, on demand), with an index that
// lists them newest first, page by page.
func haikuTable(stack awscdk.Stack) awsdynamodb.Table {
	table := constructs.NewItemTable(stack, "Table")
	table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:      jsii.String(bashoutter.NewestFirstIndex),
		PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(bashoutter.FeedAttribute), Type: awsdynamodb.AttributeType_STRING},
		SortKey:        &awsdynamodb.Attribute{Name: jsii.String(bashoutter.CreatedAtAttribute), Type: awsdynamodb.AttributeType_STRING},
		ProjectionType: awsdynamodb.ProjectionType_ALL,
	})
	return table
}

// webSite is step 2: the web page's bucket (private: only CloudFront may read it) and
// the CloudFront distribution that serves it over HTTPS. The course's public website
// bucket spoke plain HTTP. The bucket is emptied at destroy by CDK's auto-delete custom
// resource: the BucketDeployment of step 5 does not empty it (see uploadPage).
func webSite(stack awscdk.Stack, id string) (awss3.Bucket, awscloudfront.Distribution) {
	site := constructs.NewPrivateBucket(stack, "Bucket", &constructs.PrivateBucketProps{AutoDeleteObjects: true})
	distribution := awscloudfront.NewDistribution(stack, jsii.String("Distribution"), &awscloudfront.DistributionProps{
		Comment: jsii.String(id + " web page"),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(site, nil),
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
			ResponseHeadersPolicy: awscloudfront.ResponseHeadersPolicy_SECURITY_HEADERS(),
		},
		DefaultRootObject: jsii.String("index.html"),
		PriceClass:        awscloudfront.PriceClass_PRICE_CLASS_100, // North America and Europe edges: the cheapest
		HttpVersion:       awscloudfront.HttpVersion_HTTP2_AND_3,
	})
	return site, distribution
}

// haikuFunctions is step 3: one function per route (the course's GetHaiku, PostHaiku,
// PatchHaiku, DeleteHaiku), all built from handson/bashoutter/lambda. Each role allows
// one DynamoDB action on this table: GET only reads.
func haikuFunctions(stack awscdk.Stack, table awsdynamodb.Table) map[string]constructs.GoFunction {
	functions := map[string]constructs.GoFunction{}
	for _, r := range bashoutterRoutes {
		fn := constructs.NewGoFunction(stack, r.function, &constructs.GoFunctionProps{
			Entry:       "handson/bashoutter/lambda",
			Description: fmt.Sprintf("Hands-on #6: %s", r.routeKey),
			MemoryMiB:   new(256),
			Environment: map[string]string{"TABLE_NAME": *table.TableName()},
		})
		resource := table.TableArn()
		if r.index {
			resource = jsii.String(*table.TableArn() + "/index/" + bashoutter.NewestFirstIndex)
		}
		fn.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings(r.action),
			Resources: &[]*string{resource},
		}))
		functions[r.routeKey] = fn
	}
	return functions
}

// haikuAPI is step 4: the HTTP API (API Gateway v2, cheaper and simpler than the
// course's REST API), which browsers may call from the site's origin only, and its
// stage with throttling (a loop cannot run up a bill) and access logs.
func haikuAPI(stack awscdk.Stack, id string, siteURL *string, functions map[string]constructs.GoFunction) (awsapigatewayv2.HttpApi, *string) {
	methods := []awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_OPTIONS}
	for _, m := range bashoutter.CorsAllowMethods {
		methods = append(methods, awsapigatewayv2.CorsHttpMethod(m))
	}
	httpAPI := awsapigatewayv2.NewHttpApi(stack, jsii.String("BashoutterApi"), &awsapigatewayv2.HttpApiProps{
		Description: jsii.String(id + " haiku API"),
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: &[]*string{siteURL},
			AllowMethods: &methods,
			AllowHeaders: jsii.Strings(bashoutter.CorsAllowHeaders...),
			MaxAge:       awscdk.Duration_Hours(jsii.Number(1)),
		},
		CreateDefaultStage: jsii.Bool(false), // the stage below has throttling and access logs
	})
	for _, r := range bashoutterRoutes {
		method, path, _ := strings.Cut(r.routeKey, " ")
		httpAPI.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(method)},
			Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(r.function+"Integration"), functions[r.routeKey].Function(), nil),
		})
	}
	accessLogs := awslogs.NewLogGroup(stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention:     constructs.GoFunctionLogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	stage := httpAPI.AddStage(jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageOptions{
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{ // a loop cannot run up a bill
			RateLimit:  jsii.Number(bashoutter.StageRateLimit),
			BurstLimit: jsii.Number(bashoutter.StageBurstLimit),
		},
		AccessLogSettings: &accessLogSettings{destination: awsapigatewayv2.NewLogGroupLogDestination(accessLogs)},
	})
	return httpAPI, jsii.String(strings.TrimSuffix(*stage.Url(), "/"))
}

// uploadPage is step 5: upload the page, and config.json with the API's URL, so nobody
// pastes URLs into text boxes. CloudFront's cache is cleared on each deploy.
// RetainOnDelete: false alone does not empty the bucket at destroy: the deployment tags
// the bucket aws-cdk:cr-owned:*, and its handler skips deleting the files of a bucket
// with such a tag (open bug https://github.com/aws/aws-cdk/issues/33397); the stack
// would end DELETE_FAILED (BucketNotEmpty). Auto-delete (webSite) empties it.
func uploadPage(stack awscdk.Stack, site awss3.Bucket, distribution awscloudfront.Distribution, apiURL *string) awss3deployment.BucketDeployment {
	deployLogs := awslogs.NewLogGroup(stack, jsii.String("BucketDeploymentLogs"), &awslogs.LogGroupProps{
		Retention:     constructs.GoFunctionLogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	return awss3deployment.NewBucketDeployment(stack, jsii.String("BucketDeployment"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket: site,
		Sources: &[]awss3deployment.ISource{
			awss3deployment.Source_Asset(jsii.String(project.Path("handson/bashoutter/web")), nil),
			awss3deployment.Source_JsonData(jsii.String("config.json"), map[string]any{"apiUrl": apiURL}, nil),
		},
		Prune:             jsii.Bool(true),
		RetainOnDelete:    jsii.Bool(false),
		Distribution:      distribution,
		DistributionPaths: jsii.Strings("/*"),
		LogGroup:          deployLogs,
	})
}

// accessLogSettings sends the stage's access logs to a log group, one JSON line per
// request with HTTP API context variables (the REST API's default format does not fit).
type accessLogSettings struct {
	destination awsapigatewayv2.IAccessLogDestination
}

func (a *accessLogSettings) Destination() awsapigatewayv2.IAccessLogDestination { return a.destination }
func (a *accessLogSettings) Format() awsapigateway.AccessLogFormat {
	return awsapigateway.AccessLogFormat_Custom(jsii.String(`{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
		`"requestTime":"$context.requestTime","routeKey":"$context.routeKey","status":"$context.status",` +
		`"responseLength":"$context.responseLength","integrationError":"$context.integrationErrorMessage"}`))
}

// suppressBashoutterNag records why the remaining cdk-nag findings are accepted: on
// the distribution, the API's routes, and the Lambda function that CDK's BucketDeployment adds to copy
// files into the bucket (one per stack).
func suppressBashoutterNag(stack awscdk.Stack, distribution awscloudfront.Distribution, httpAPI awsapigatewayv2.HttpApi, deployment awss3deployment.BucketDeployment) {
	suppress(distribution, false,
		nagReason{"AwsSolutions-CFR1", "A public haiku page: no country needs to be blocked.", nil},
		nagReason{"AwsSolutions-CFR2", "AWS WAF bills a web ACL by the month (about $5 plus rules) even while idle; the API has stage throttling instead.", nil},
		nagReason{"AwsSolutions-CFR3", "Standard logs need a second bucket with ACLs enabled, which the private-bucket default forbids; CloudFront's free metrics show the traffic.", nil},
		nagReason{"AwsSolutions-CFR4", "The distribution uses the default *.cloudfront.net certificate; choosing the minimum TLS version needs a custom domain and an ACM certificate, which a learner does not have.", nil},
	)
	for _, child := range *httpAPI.Node().Children() {
		if *child.Node().Id() == "DefaultStage" {
			continue // not a route: it needs no authorizer
		}
		suppress(child, true, nagReason{"AwsSolutions-APIG4",
			"As in the course, anyone may read and post haiku; the stage throttles requests. " +
				"Sign-in with Amazon Cognito is the course's follow-up hands-on.", nil})
	}
	suppress(deployment.HandlerRole(), true,
		nagReason{"AwsSolutions-IAM4",
			"CDK's BucketDeployment handler logs with AWSLambdaBasicExecutionRole; it runs only while CloudFormation deploys.",
			[]any{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}},
		nagReason{"AwsSolutions-IAM5",
			"CDK's BucketDeployment handler reads the uploaded web page from the CDK asset bucket, " +
				"writes and prunes objects in this stack's site bucket only, and invalidates the CloudFront cache " +
				"(CDK grants invalidation on any distribution).",
			[]any{
				"Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*", "Action::s3:Abort*", "Action::s3:DeleteObject*",
				&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:(aws[-a-z]*|<AWS::Partition>):s3:::cdk-[a-z0-9]+-assets-(<AWS::AccountId>|[0-9]{12})-[^/]+\/\*$/g`)},
				&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<Bucket[0-9A-F]+\.Arn>\/\*$/g`)},
				"Resource::*",
			}},
	)
	for _, child := range *stack.Node().Children() {
		if strings.HasPrefix(*child.Node().Id(), "Custom::CDKBucketDeployment") {
			suppress(child, true, nagReason{"AwsSolutions-L1",
				"The runtime of CDK's BucketDeployment handler is chosen by aws-cdk-lib and moves with it.", nil})
		}
	}
}
