package bundlescope

import (
	"reflect"
	"testing"
)

var stacks = []string{"MyFirstEc2", "Ec2ForDl", "EcsClusterQaBot", "SimpleBatch", "SimpleLambda", "SimpleDynamoDb", "SimpleS3", "Bashoutter"}

func TestNarrow(t *testing.T) {
	all := []any{"**"}
	cases := []struct {
		name string
		cli  any
		args []string
		want []string
		ok   bool
	}{
		{"one stack", all, []string{"synth", "MyFirstEc2"}, []string{"MyFirstEc2"}, true},
		{"deploy with options", all, []string{"deploy", "-c", "key_name=mykey", "--require-approval", "never", "SimpleLambda", "--profile", "dev"}, []string{"SimpleLambda"}, true},
		{"options before the command", all, []string{"--profile", "dev", "deploy", "Bashoutter"}, []string{"Bashoutter"}, true},
		{"pattern", all, []string{"deploy", "Simple*"}, []string{"SimpleBatch", "SimpleLambda", "SimpleDynamoDb", "SimpleS3"}, true},
		{"two stacks", all, []string{"diff", "SimpleS3", "MyFirstEc2"}, []string{"MyFirstEc2", "SimpleS3"}, true},
		{"no stack named: all", all, []string{"synth"}, nil, false},
		{"--all", all, []string{"deploy", "--all"}, nil, false},
		{"a command that does not bundle", all, []string{"list", "MyFirstEc2"}, nil, false},
		{"the CLI already narrowed (-e)", []any{"MyFirstEc2"}, []string{"synth", "-e", "MyFirstEc2"}, nil, false},
		{"the CLI bundles nothing", []any{}, []string{"synth", "MyFirstEc2"}, nil, false},
		{"not run by the CLI", nil, nil, nil, false},
		{"unknown name only", all, []string{"synth", "NoSuchStack"}, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Narrow(c.cli, stacks, c.args)
			if ok != c.ok || !reflect.DeepEqual(got, c.want) {
				t.Errorf("Narrow(%v, %v) = %v, %v; want %v, %v", c.cli, c.args, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestAfterCDK(t *testing.T) {
	cases := []struct {
		argv []string
		want []string
		ok   bool
	}{
		{[]string{"node", "/p/node_modules/.bin/cdk", "synth", "MyFirstEc2"}, []string{"synth", "MyFirstEc2"}, true},
		{[]string{"/usr/bin/node", "/p/node_modules/aws-cdk/bin/cdk", "deploy"}, []string{"deploy"}, true},
		{[]string{"cdk", "diff"}, []string{"diff"}, true},
		{[]string{"sh", "-c", "go run ."}, nil, false},
		{[]string{"node", "/x/jsii-runtime.js"}, nil, false},
		{[]string{"npm", "exec", "cdk", "synth"}, nil, false},
	}
	for _, c := range cases {
		got, ok := afterCDK(c.argv)
		if ok != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("afterCDK(%v) = %v, %v; want %v, %v", c.argv, got, ok, c.want, c.ok)
		}
	}
}
