// Package instancetype reads what the app needs from an EC2 instance type's name (its
// CPU architecture, whether it has an NVIDIA GPU) without a lookup and without the CDK,
// by the same grammar aws-cdk-lib's ec2.InstanceType uses, so the config checks, the
// stacks and the tests agree on every name.
package instancetype

import (
	"regexp"
	"strings"
)

// Pattern is the grammar aws-cdk-lib's ec2.InstanceType reads an architecture from
// (aws-ec2/lib/instance-types.ts, the `architecture` getter): family letters, a
// generation of one or two digits, attribute letters or dashes, a dot, a size. CDK
// throws MalformedInstanceTypeIdentifier on a name it does not match (t.micro,
// micro.t3, mac2-m2pro.metal, u-6tb1.metal).
var Pattern = regexp.MustCompile(`^([a-z]+)([0-9]{1,2})([a-z\-]*)\.([a-z0-9\-]+)$`)

// MaxLen is well above the longest EC2 type name (about 25 characters).
const MaxLen = 40

// Valid tells whether CDK can read the name.
func Valid(name string) bool { return len(name) <= MaxLen && Pattern.MatchString(name) }

// IsArm64 tells whether a valid instance type is Graviton (arm64), by CDK's rule:
// family "a", or a "g" among the attribute letters (t4g, g5g, c7gn).
func IsArm64(name string) bool {
	m := Pattern.FindStringSubmatch(name)
	return m != nil && (m[1] == "a" || strings.Contains(m[3], "g"))
}

// ImageArch is the architecture as AWS's public image parameters spell it.
func ImageArch(name string) string {
	if IsArm64(name) {
		return "arm64"
	}
	return "x86_64"
}

// nvidiaFamilies are the EC2 families with NVIDIA GPUs (g4ad has AMD GPUs).
var nvidiaFamilies = regexp.MustCompile(`^(g[3-9]|gr[0-9]|p[2-9])[a-z0-9-]*$`)

// IsNvidiaGPU tells whether an instance type has an NVIDIA GPU, from its family name
// (g4dn, g5, g6, p3, ...).
func IsNvidiaGPU(name string) bool {
	family, _, _ := strings.Cut(name, ".")
	return nvidiaFamilies.MatchString(family) && !strings.HasPrefix(family, "g4ad")
}
