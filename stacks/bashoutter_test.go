package stacks

import (
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/bashoutter"
)

func synthBashoutter(t *testing.T, key string, props BashoutterStackProps) *synthesized {
	return synth(t, "Bashoutter/"+key, func(app awscdk.App) awscdk.Stack {
		return NewBashoutterStack(app, "Bashoutter", &props)
	})
}

func bashoutterDefault(t *testing.T) *synthesized {
	return synthBashoutter(t, "default", BashoutterStackProps{})
}

func TestBashoutterTableListsNewestFirst(t *testing.T) {
	s := bashoutterDefault(t)
	_, table := onlyResource(t, s, "AWS::DynamoDB::Table")
	p := table["Properties"].(map[string]any)
	if jsonText(p["KeySchema"]) != `[{"AttributeName":"item_id","KeyType":"HASH"}]` || p["BillingMode"] != "PAY_PER_REQUEST" {
		t.Errorf("table keys %s billing %v, want item_id, on demand", jsonText(p["KeySchema"]), p["BillingMode"])
	}
	gsi := dig(p, "GlobalSecondaryIndexes", 0)
	want := `[{"AttributeName":"` + bashoutter.FeedAttribute + `","KeyType":"HASH"},{"AttributeName":"` + bashoutter.CreatedAtAttribute + `","KeyType":"RANGE"}]`
	if dig(gsi, "IndexName") != bashoutter.NewestFirstIndex || jsonText(dig(gsi, "KeySchema")) != want ||
		dig(gsi, "Projection", "ProjectionType") != "ALL" {
		t.Errorf("index %s, want %s keyed %s projecting all", jsonText(gsi), bashoutter.NewestFirstIndex, want)
	}
}

// Each route reaches its own function, whose role may make one DynamoDB call.
func TestBashoutterRoutesHaveLeastPrivilegeFunctions(t *testing.T) {
	s := bashoutterDefault(t)
	functions := s.resources("AWS::Lambda::Function")
	integrations := s.resources("AWS::ApiGatewayV2::Integration")
	tableID, _ := onlyResource(t, s, "AWS::DynamoDB::Table")
	wantAction := map[string]string{
		bashoutter.RouteList: "dynamodb:Query", bashoutter.RoutePost: "dynamodb:PutItem",
		bashoutter.RouteLike: "dynamodb:UpdateItem", bashoutter.RouteDelete: "dynamodb:DeleteItem",
	}
	var routeKeys []string
	for _, route := range s.resources("AWS::ApiGatewayV2::Route") {
		key, _ := dig(route, "Properties", "RouteKey").(string)
		routeKeys = append(routeKeys, key)
		if dig(route, "Properties", "AuthorizationType") != nil && dig(route, "Properties", "AuthorizationType") != "NONE" {
			t.Errorf("%s has authorization %v", key, dig(route, "Properties", "AuthorizationType"))
		}
		target := jsonText(dig(route, "Properties", "Target"))
		var integration map[string]any
		for id, in := range integrations {
			if strings.Contains(target, `"`+id+`"`) {
				integration = in
			}
		}
		if integration == nil {
			t.Fatalf("%s targets %s, not an integration of this stack", key, target)
		}
		if dig(integration, "Properties", "PayloadFormatVersion") != "2.0" {
			t.Errorf("%s payload format %v, want 2.0 (events.APIGatewayV2HTTPRequest)", key, dig(integration, "Properties", "PayloadFormatVersion"))
		}
		fnID, _ := dig(integration, "Properties", "IntegrationUri", "Fn::GetAtt", 0).(string)
		fn, ok := functions[fnID]
		if !ok {
			t.Fatalf("%s integrates %s, not a function of this stack", key, fnID)
		}
		checkGoLambda(t, s, fnID, fn)
		if got := jsonText(dig(fn, "Properties", "Environment", "Variables", "TABLE_NAME")); got != `{"Ref":"`+tableID+`"}` {
			t.Errorf("%s TABLE_NAME = %s", key, got)
		}
		var data []string
		for _, st := range roleStatements(s, fn) {
			if text := jsonText(st["Action"]); strings.Contains(text, "dynamodb") {
				data = append(data, text+" on "+jsonText(st["Resource"]))
			}
		}
		resource := `{"Fn::GetAtt":["` + tableID + `","Arn"]}`
		if key == bashoutter.RouteList {
			resource = `{"Fn::Join":["",[{"Fn::GetAtt":["` + tableID + `","Arn"]},"/index/` + bashoutter.NewestFirstIndex + `"]]}`
		}
		if want := `"` + wantAction[key] + `" on ` + resource; len(data) != 1 || data[0] != want {
			t.Errorf("%s may %v; want only %s", key, data, want)
		}
	}
	sort.Strings(routeKeys)
	want := append([]string(nil), bashoutter.Routes...)
	sort.Strings(want)
	if strings.Join(routeKeys, ",") != strings.Join(want, ",") {
		t.Errorf("routes %v, want the handler's %v", routeKeys, want)
	}
	if n := len(functions) - 2; n != len(bashoutter.Routes) { // the others: CDK's BucketDeployment handler and bucket auto-delete function
		t.Errorf("%d haiku functions, want one per route", n)
	}
}

func TestBashoutterApiIsThrottledAndOnlyTheSiteMayCallIt(t *testing.T) {
	s := bashoutterDefault(t)
	distID, _ := onlyResource(t, s, "AWS::CloudFront::Distribution")
	apiProps := s.only(t, "AWS::ApiGatewayV2::Api")
	cors := apiProps["CorsConfiguration"]
	wantOrigin := `[{"Fn::Join":["",["https://",{"Fn::GetAtt":["` + distID + `","DomainName"]}]]}]`
	if got := jsonText(dig(cors, "AllowOrigins")); got != wantOrigin {
		t.Errorf("CORS origins %s, want only the CloudFront site %s", got, wantOrigin)
	}
	if got := jsonText(dig(cors, "AllowMethods")); got != `["OPTIONS","GET","POST","PATCH","DELETE"]` {
		t.Errorf("CORS methods %s", got)
	}
	if dig(cors, "AllowCredentials") == true {
		t.Error("CORS allows credentials: the API uses none")
	}
	stage := s.only(t, "AWS::ApiGatewayV2::Stage")
	if stage["StageName"] != "$default" || stage["AutoDeploy"] != true {
		t.Errorf("stage %v autodeploy %v, want $default, auto-deployed", stage["StageName"], stage["AutoDeploy"])
	}
	rate, _ := dig(stage, "DefaultRouteSettings", "ThrottlingRateLimit").(float64)
	burst, _ := dig(stage, "DefaultRouteSettings", "ThrottlingBurstLimit").(float64)
	if rate <= 0 || rate > 50 || burst < rate || burst > 100 {
		t.Errorf("throttling rate %v burst %v, want a small positive limit", rate, burst)
	}
	logID, _ := dig(stage, "AccessLogSettings", "DestinationArn", "Fn::GetAtt", 0).(string)
	if _, ok := s.resources("AWS::Logs::LogGroup")[logID]; !ok || !strings.Contains(jsonText(dig(stage, "AccessLogSettings", "Format")), "$context.routeKey") {
		t.Errorf("access logs %s, want JSON lines to a log group of the stack", jsonText(stage["AccessLogSettings"]))
	}
	apiURL := jsonText(s.output(t, "ApiUrl"))
	if !strings.Contains(apiURL, `"https://",{"Ref":"`) || !strings.Contains(apiURL, ".execute-api.") || strings.HasSuffix(apiURL, `/"]]}`) {
		t.Errorf("ApiUrl = %s, want https://<id>.execute-api.<region>.<suffix> without a trailing slash", apiURL)
	}
}

func TestBashoutterSiteIsPrivateBucketBehindCloudFront(t *testing.T) {
	s := bashoutterDefault(t)
	bucketID, bucket := onlyResource(t, s, "AWS::S3::Bucket")
	checkPrivateBucket(t, s, bucketID, bucket)
	distID, dist := onlyResource(t, s, "AWS::CloudFront::Distribution")
	cfg := dig(dist, "Properties", "DistributionConfig")
	if dig(cfg, "DefaultRootObject") != "index.html" || dig(cfg, "DefaultCacheBehavior", "ViewerProtocolPolicy") != "redirect-to-https" {
		t.Errorf("distribution %s, want index.html and HTTPS", jsonText(cfg))
	}
	if dig(cfg, "PriceClass") != "PriceClass_100" {
		t.Errorf("PriceClass %v, want the cheapest", dig(cfg, "PriceClass"))
	}
	oacID, _ := onlyResource(t, s, "AWS::CloudFront::OriginAccessControl")
	origin := dig(cfg, "Origins", 0)
	if got := jsonText(dig(origin, "OriginAccessControlId")); !strings.Contains(got, oacID) {
		t.Errorf("origin %s does not use the origin access control", jsonText(origin))
	}
	if !strings.Contains(jsonText(dig(origin, "DomainName")), bucketID) {
		t.Errorf("origin %s is not the site bucket", jsonText(origin))
	}
	// The bucket lets CloudFront (this distribution only) read objects.
	readers := 0
	for _, pol := range s.resources("AWS::S3::BucketPolicy") {
		for _, st := range dig(pol, "Properties", "PolicyDocument", "Statement").([]any) {
			if jsonText(dig(st, "Principal")) == `{"Service":"cloudfront.amazonaws.com"}` {
				readers++
				if jsonText(dig(st, "Action")) != `"s3:GetObject"` || !strings.Contains(jsonText(dig(st, "Condition")), distID) {
					t.Errorf("CloudFront statement %s, want GetObject for this distribution only", jsonText(st))
				}
			}
		}
	}
	if readers != 1 {
		t.Errorf("%d CloudFront statements in the bucket policy, want 1", readers)
	}
	// The site is served over HTTPS at the output's URL.
	if got := jsonText(s.output(t, "SiteUrl")); got != `{"Fn::Join":["",["https://",{"Fn::GetAtt":["`+distID+`","DomainName"]}]]}` {
		t.Errorf("SiteUrl = %s", got)
	}
}

// The deployment uploads the page and a config.json that carries the API's URL.
func TestBashoutterUploadsPageAndConfig(t *testing.T) {
	s := bashoutterDefault(t)
	apiID, _ := onlyResource(t, s, "AWS::ApiGatewayV2::Api")
	bucketID, _ := onlyResource(t, s, "AWS::S3::Bucket")
	distID, _ := onlyResource(t, s, "AWS::CloudFront::Distribution")
	_, dep := onlyResource(t, s, "Custom::CDKBucketDeployment")
	p := dep["Properties"].(map[string]any)
	if keys, _ := p["SourceObjectKeys"].([]any); len(keys) != 2 {
		t.Errorf("sources %s, want the web directory and config.json", jsonText(p["SourceObjectKeys"]))
	}
	if markers := jsonText(p["SourceMarkers"]); !strings.Contains(markers, `{"Ref":"`+apiID+`"}`) {
		t.Errorf("config.json markers %s, want the API id (its URL)", markers)
	}
	if jsonText(p["DestinationBucketName"]) != `{"Ref":"`+bucketID+`"}` || p["RetainOnDelete"] != false || p["Prune"] != true {
		t.Errorf("deployment %s, want the site bucket, files deleted with the stack", jsonText(p))
	}
	if jsonText(p["DistributionId"]) != `{"Ref":"`+distID+`"}` || jsonText(p["DistributionPaths"]) != `["/*"]` {
		t.Errorf("deployment does not refresh CloudFront: %s", jsonText(p))
	}
}

func TestBashoutterGatesPass(t *testing.T) {
	configs := map[string]*synthesized{
		"default": bashoutterDefault(t),
		"pinned":  synthBashoutter(t, "pinned", BashoutterStackProps{StackProps: pinnedEnv}),
	}
	checkServerlessGates(t, configs)
	for name, s := range configs {
		t.Run(name, func(t *testing.T) {
			// The deployment does not empty a bucket it tagged as its own
			// (aws/aws-cdk#33397): auto-delete must, or destroy ends DELETE_FAILED.
			// internal/lifecycle runs both handlers' Delete against moto.
			if n := s.count("Custom::S3AutoDeleteObjects"); n != 1 {
				t.Errorf("%d auto-delete resources, want 1: the deployment does not empty the bucket at destroy", n)
			}
			// Every Lambda function logs to a log group of the stack (none left behind).
			for id, fn := range s.resources("AWS::Lambda::Function") {
				if dig(fn, "Properties", "LoggingConfig", "LogGroup", "Ref") == nil {
					t.Errorf("function %s logs to a log group Lambda creates, which cdk destroy leaves behind", id)
				}
			}
		})
	}
}
