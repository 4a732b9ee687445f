package lifecycle

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

const (
	account         = "123456789012" // moto's
	region          = "us-east-1"
	bootstrapBucket = "cdk-hnb659fds-assets-" + account + "-" + region
	deployDeadline  = 2 * time.Minute
)

// customResource is one custom resource of a template: moto would run its handler by
// invoking a Lambda function in Docker, so the test takes it out of what moto deploys
// and runs the handler itself (handlers_test.go).
type customResource struct {
	LogicalID string
	Type      string
	Props     map[string]any // intrinsic functions replaced by their values after the deploy
	Function  string         // logical ID of the Lambda function of its ServiceToken
	Physical  string         // what its Create answered
}

// stackRun is one stack going through its life on moto.
type stackRun struct {
	t        *testing.T
	name     string
	cfg      aws.Config
	template map[string]any // as synthesized
	crs      []*customResource
	changes  []string // what the test changed in the template for moto, and why
	stackID  string
	outputs  map[string]string
	physical map[string]string // logical ID → physical ID
	types    map[string]string // logical ID → resource type
	handlers *responseServer
	// standIns: values of resources moto's CloudFormation cannot create (logical ID →
	// "Ref" or attribute → value), and how to delete them after the stack.
	standIns map[string]map[string]string
	cleanups []func()
}

// noCloudFormationInMoto are resource types that moto 5.2.1's CloudFormation skips ("No
// Moto CloudFormation support"): it creates and deletes nothing for them, so their
// deletion with the stack is not proven here. They hold no data of the learner.
var noCloudFormationInMoto = []string{"AWS::CloudFront::Distribution", "AWS::CloudFront::OriginAccessControl", "AWS::ApiGatewayV2::"}

// standInFor makes what the rest of the stack needs from a resource moto's
// CloudFormation skips, through moto's own API, and deletes it after the stack: a
// CloudFront distribution (BucketDeployment's handler invalidates its cache) and an HTTP
// API (its ID goes into the page's config.json).
func (r *stackRun) standInFor(ctx context.Context, id, typ string) {
	kind := map[string]string{"AWS::CloudFront::Distribution": "distribution", "AWS::ApiGatewayV2::Api": "api"}[typ]
	if kind == "" {
		return
	}
	script := filepath.Join(root, "internal", "lifecycle", "testdata", "standin.py")
	cmd := exec.CommandContext(ctx, "python3", script, "create-"+kind, r.name+"-"+id)
	cmd.Env = append(handlerEnv(), "AWS_DEFAULT_REGION="+region)
	out, err := cmd.CombinedOutput()
	fields := strings.Fields(string(out))
	if err != nil || len(fields) != 2 {
		r.t.Fatalf("stand-in %s: %v\n%s", kind, err, out)
	}
	r.standIns[id] = map[string]string{"Ref": fields[0], "Id": fields[0], "ApiId": fields[0], "DomainName": fields[1], "ApiEndpoint": fields[1]}
	r.cleanups = append(r.cleanups, func() {
		del := exec.Command("python3", script, "delete-"+kind, fields[0])
		del.Env = cmd.Env
		if out, err := del.CombinedOutput(); err != nil {
			r.t.Errorf("delete the stand-in %s %s: %v\n%s", kind, fields[0], err, out)
		}
	})
	r.changes = append(r.changes, fmt.Sprintf("%s %s: moto's CloudFormation cannot create it; a stand-in %s %s made with moto's own API takes its place and is deleted after the stack", typ, id, kind, fields[0]))
}

// substitute replaces Ref and Fn::GetAtt of stand-ins with their values.
func (r *stackRun) substitute(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 && r.standIns[ref] != nil {
			return r.standIns[ref]["Ref"]
		}
		if ga, ok := x["Fn::GetAtt"].([]any); ok && len(x) == 1 && len(ga) == 2 {
			if vals := r.standIns[fmt.Sprint(ga[0])]; vals != nil {
				if val, ok := vals[fmt.Sprint(ga[1])]; ok {
					return val
				}
			}
		}
		for k, e := range x {
			x[k] = r.substitute(e)
		}
	case []any:
		for i, e := range x {
			x[i] = r.substitute(e)
		}
	}
	return v
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func resources(tpl map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tpl["Resources"].(map[string]any) {
		out[id] = r.(map[string]any)
	}
	return out
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// isIntrinsic: {"Ref": ...} or {"Fn::...": ...}.
func isIntrinsic(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

const placeholderPrefix = "\x00lifecycle:"

// deferIntrinsics replaces each intrinsic function in v with a placeholder and adds an
// output that moto's CloudFormation evaluates, so the custom resource's properties get
// exactly the values CloudFormation would send, with no resolver of our own.
func deferIntrinsics(v any, outputs map[string]any) any {
	if isIntrinsic(v) {
		key := fmt.Sprintf("LifecycleValue%d", len(outputs))
		outputs[key] = map[string]any{"Value": v}
		return placeholderPrefix + key
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = deferIntrinsics(e, outputs)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deferIntrinsics(e, outputs)
		}
		return out
	}
	return v
}

func resolvePlaceholders(v any, outputs map[string]string) (any, error) {
	switch x := v.(type) {
	case string:
		if key, ok := strings.CutPrefix(x, placeholderPrefix); ok {
			val, found := outputs[key]
			if !found {
				return nil, fmt.Errorf("moto gave no output %s", key)
			}
			return val, nil
		}
	case map[string]any:
		for k, e := range x {
			r, err := resolvePlaceholders(e, outputs)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
	case []any:
		for i, e := range x {
			r, err := resolvePlaceholders(e, outputs)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
	}
	return v, nil
}

// refersTo reports whether v contains a Ref or Fn::GetAtt of the logical ID.
func refersTo(v any, id string) bool {
	switch x := v.(type) {
	case map[string]any:
		if x["Ref"] == id {
			return true
		}
		if ga, ok := x["Fn::GetAtt"].([]any); ok && len(ga) > 0 && ga[0] == id {
			return true
		}
		for _, e := range x {
			if refersTo(e, id) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if refersTo(e, id) {
				return true
			}
		}
	}
	return false
}

// forMoto is the template moto deploys: the synthesized one less its custom resources
// (recorded in r.crs), with the outputs that evaluate their properties, and without the
// SSM parameter tags moto cannot take.
func (r *stackRun) forMoto() map[string]any {
	t := r.t
	var tpl map[string]any
	raw, _ := json.Marshal(r.template)
	json.Unmarshal(raw, &tpl)
	res := tpl["Resources"].(map[string]any)
	for id, v := range res {
		typ := v.(map[string]any)["Type"].(string)
		for _, prefix := range noCloudFormationInMoto {
			if strings.HasPrefix(typ, prefix) {
				r.standInFor(context.Background(), id, typ)
				if typ != "AWS::CloudFront::Distribution" && typ != "AWS::ApiGatewayV2::Api" {
					r.changes = append(r.changes, fmt.Sprintf("%s %s: moto's CloudFormation skips it (no support): not created, its deletion not proven", typ, id))
				}
			}
		}
	}
	r.substitute(tpl)
	outputs, _ := tpl["Outputs"].(map[string]any)
	if outputs == nil {
		outputs = map[string]any{}
		tpl["Outputs"] = outputs
	}
	ids := make([]string, 0, len(res))
	for id := range res {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		rr := res[id].(map[string]any)
		typ := rr["Type"].(string)
		if strings.HasPrefix(typ, "Custom::") || typ == "AWS::CloudFormation::CustomResource" {
			p := props(rr)
			ga, _ := p["ServiceToken"].(map[string]any)["Fn::GetAtt"].([]any)
			if len(ga) != 2 || ga[1] != "Arn" {
				t.Fatalf("%s %s: ServiceToken %v is not a function of this stack: the test cannot run its handler", typ, id, p["ServiceToken"])
			}
			cr := &customResource{LogicalID: id, Type: typ, Function: ga[0].(string)}
			cr.Props = deferIntrinsics(p, outputs).(map[string]any)
			r.crs = append(r.crs, cr)
			delete(res, id)
			r.changes = append(r.changes, fmt.Sprintf("%s %s: taken out (moto would invoke its Lambda in Docker); its handler runs in the test", typ, id))
			continue
		}
		if typ == "AWS::SSM::Parameter" {
			if _, isMap := props(rr)["Tags"].(map[string]any); isMap {
				delete(props(rr), "Tags")
				r.changes = append(r.changes, "AWS::SSM::Parameter "+id+": Tags (a map) dropped: moto answers 500 to them")
			}
		}
	}
	// Nothing may depend on a custom resource (CloudFormation would create it first).
	for id, v := range res {
		rr := v.(map[string]any)
		if deps, ok := rr["DependsOn"].([]any); ok {
			var keep []any
			for _, d := range deps {
				if !r.isCustomResource(d.(string)) {
					keep = append(keep, d)
				}
			}
			rr["DependsOn"] = keep
			if len(keep) == 0 {
				delete(rr, "DependsOn")
			}
		}
		for _, cr := range r.crs {
			if refersTo(rr, cr.LogicalID) {
				t.Fatalf("%s refers to custom resource %s: the test cannot deploy it without its handler", id, cr.LogicalID)
			}
		}
	}
	for id, o := range outputs {
		for _, cr := range r.crs {
			if refersTo(o, cr.LogicalID) {
				t.Fatalf("output %s refers to custom resource %s", id, cr.LogicalID)
			}
		}
	}
	return tpl
}

func (r *stackRun) isCustomResource(id string) bool {
	for _, cr := range r.crs {
		if cr.LogicalID == id {
			return true
		}
	}
	return false
}

// uploadAssets puts the stack's file assets where `cdk deploy` puts them: the bootstrap
// bucket, each directory zipped.
func (r *stackRun) uploadAssets(ctx context.Context) {
	t := r.t
	manifest := readJSON(t, filepath.Join(outdir, r.name+".assets.json"))
	s3c := s3.NewFromConfig(r.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	files, _ := manifest["files"].(map[string]any)
	for _, f := range files {
		src := f.(map[string]any)["source"].(map[string]any)
		path := src["path"].(string)
		if !filepath.IsAbs(path) {
			path = filepath.Join(outdir, path)
		}
		var body []byte
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.IsDir() {
			body = zipDir(t, path)
		} else if body, err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
		for _, d := range f.(map[string]any)["destinations"].(map[string]any) {
			dest := d.(map[string]any)
			bucket := strings.NewReplacer("${AWS::AccountId}", account, "${AWS::Region}", region).Replace(dest["bucketName"].(string))
			if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(dest["objectKey"].(string)), Body: bytes.NewReader(body)}); err != nil {
				t.Fatalf("upload asset %s: %v", path, err)
			}
		}
	}
}

func zipDir(t *testing.T, dir string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// standInParameters answers the template's SSM-typed parameters that moto does not
// hold (AWS's public parameters, such as the Deep Learning AMI's): a parameter of our own
// with a value moto knows, passed as the stack parameter (CloudFormation takes the name
// of any SSM parameter there).
func (r *stackRun) standInParameters(ctx context.Context) []cfntypes.Parameter {
	t := r.t
	ssmc := ssm.NewFromConfig(r.cfg)
	params, _ := r.template["Parameters"].(map[string]any)
	var out []cfntypes.Parameter
	var names []string
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := params[name].(map[string]any)
		typ, _ := p["Type"].(string)
		def, _ := p["Default"].(string)
		if !strings.HasPrefix(typ, "AWS::SSM::Parameter::Value<") || def == "" {
			continue
		}
		if _, err := ssmc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(def)}); err == nil {
			continue
		}
		value := "stand-in"
		if strings.Contains(typ, "AWS::EC2::Image::Id") {
			images, err := ec2.NewFromConfig(r.cfg).DescribeImages(ctx, &ec2.DescribeImagesInput{Filters: []ec2types.Filter{{Name: aws.String("architecture"), Values: []string{"x86_64"}}}})
			if err != nil || len(images.Images) == 0 {
				t.Fatalf("no image in moto to stand in for %s: %v", def, err)
			}
			value = aws.ToString(images.Images[0].ImageId)
		}
		standIn := "/lifecycle/stand-in/" + name
		if _, err := ssmc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(standIn), Value: aws.String(value), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		out = append(out, cfntypes.Parameter{ParameterKey: aws.String(name), ParameterValue: aws.String(standIn)})
		r.changes = append(r.changes, fmt.Sprintf("parameter %s: AWS's public SSM parameter %s is not in moto (CreateStack answered a bare 500); a stand-in parameter holds %s", name, def, value))
	}
	return out
}

// deploy does what `cdk deploy` does on moto, and waits for CREATE_COMPLETE.
func (r *stackRun) deploy(ctx context.Context) {
	t := r.t
	if _, err := ssm.NewFromConfig(r.cfg).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/cdk-bootstrap/hnb659fds/version"), Value: aws.String("30"), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	s3c := s3.NewFromConfig(r.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bootstrapBucket)}); err != nil {
		t.Fatal(err)
	}
	r.uploadAssets(ctx)
	tpl := r.forMoto()
	body, _ := json.Marshal(tpl)
	// The stack's tags, as `cdk deploy` passes them (from the cloud assembly).
	manifest := readJSON(t, filepath.Join(outdir, "manifest.json"))
	var tags []cfntypes.Tag
	stackTags, _ := manifest["artifacts"].(map[string]any)[r.name].(map[string]any)["properties"].(map[string]any)["tags"].(map[string]any)
	for k, v := range stackTags {
		tags = append(tags, cfntypes.Tag{Key: aws.String(k), Value: aws.String(v.(string))})
	}
	if len(tags) == 0 {
		t.Fatalf("%s has no stack tags in the cloud assembly", r.name)
	}
	cfn := cloudformation.NewFromConfig(r.cfg)
	out, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName: aws.String(r.name), TemplateBody: aws.String(string(body)), Parameters: r.standInParameters(ctx),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam, cfntypes.CapabilityCapabilityNamedIam, cfntypes.CapabilityCapabilityAutoExpand},
		Tags:         tags,
	})
	if err != nil {
		t.Fatalf("CreateStack %s on moto: %v\nmoto's log ends:\n%s", r.name, err, tail(moto.Log(), 3000))
	}
	r.stackID = aws.ToString(out.StackId)
	w := cloudformation.NewStackCreateCompleteWaiter(cfn, func(o *cloudformation.StackCreateCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(r.stackID)}, deployDeadline); err != nil {
		t.Fatalf("%s did not reach CREATE_COMPLETE on moto: %v\n%s", r.name, err, r.events(ctx))
	}
	desc, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(r.stackID)})
	if err != nil {
		t.Fatal(err)
	}
	r.outputs = map[string]string{}
	for _, o := range desc.Stacks[0].Outputs {
		r.outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	res, err := cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(r.stackID)})
	if err != nil {
		t.Fatal(err)
	}
	r.physical, r.types = map[string]string{}, map[string]string{}
	for _, sr := range res.StackResources {
		r.physical[aws.ToString(sr.LogicalResourceId)] = aws.ToString(sr.PhysicalResourceId)
		r.types[aws.ToString(sr.LogicalResourceId)] = aws.ToString(sr.ResourceType)
	}
	for _, cr := range r.crs {
		p, err := resolvePlaceholders(cr.Props, r.outputs)
		if err != nil {
			t.Fatalf("%s: %v (outputs given to moto: %s)", cr.LogicalID, err, testenv.JSONText(tpl["Outputs"]))
		}
		cr.Props = p.(map[string]any)
	}
	for _, c := range r.changes {
		t.Logf("template for moto: %s", c)
	}
}

// destroy does what `cdk destroy` does once the custom resources are deleted:
// DeleteStack, then wait for DELETE_COMPLETE.
func (r *stackRun) destroy(ctx context.Context) {
	t := r.t
	cfn := cloudformation.NewFromConfig(r.cfg)
	if _, err := cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(r.stackID)}); err != nil {
		t.Fatalf("DeleteStack %s on moto: %v\n%s", r.name, err, r.events(ctx))
	}
	w := cloudformation.NewStackDeleteCompleteWaiter(cfn, func(o *cloudformation.StackDeleteCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(r.stackID)}, deployDeadline); err != nil {
		t.Fatalf("%s did not reach DELETE_COMPLETE on moto: %v\n%s", r.name, err, r.events(ctx))
	}
}

func (r *stackRun) events(ctx context.Context) string {
	out, err := cloudformation.NewFromConfig(r.cfg).DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(r.stackID)})
	if err != nil {
		return "(no stack events: " + err.Error() + ")"
	}
	var b strings.Builder
	for _, e := range out.StackEvents {
		if strings.HasSuffix(string(e.ResourceStatus), "FAILED") {
			fmt.Fprintf(&b, "%s %s %s\n", aws.ToString(e.LogicalResourceId), e.ResourceStatus, aws.ToString(e.ResourceStatusReason))
		}
	}
	return b.String() + "moto's log ends:\n" + tail(moto.Log(), 3000)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
