package instancetype

import "testing"

func TestArchitectureAndGPUFromTheName(t *testing.T) {
	for typ, want := range map[string][2]bool{ // arm64, NVIDIA GPU
		"t3.micro": {false, false}, "t4g.micro": {true, false}, "a1.large": {true, false}, "c7gn.large": {true, false},
		"g4dn.xlarge": {false, true}, "g5.2xlarge": {false, true}, "g6.xlarge": {false, true}, "g6e.xlarge": {false, true},
		"p3.2xlarge": {false, true}, "p4d.24xlarge": {false, true}, "gr6.4xlarge": {false, true}, "g5g.xlarge": {true, true},
		"g4ad.xlarge": {false, false}, "m5.xlarge": {false, false}, "c7g.large": {true, false}, "inf2.xlarge": {false, false},
		"trn1.2xlarge": {false, false}, "m7i-flex.large": {false, false},
	} {
		if got := [2]bool{IsArm64(typ), IsNvidiaGPU(typ)}; got != want {
			t.Errorf("%s: arm64, NVIDIA GPU = %v, want %v", typ, got, want)
		}
		if !Valid(typ) {
			t.Errorf("%s: not valid", typ)
		}
	}
	for _, bad := range []string{"t.micro", "a.b", "micro.t3", "mac2-m2pro.metal", "u-6tb1.metal", "T3.micro", "t3.", ""} {
		if Valid(bad) {
			t.Errorf("%q: valid, but CDK's InstanceType cannot read it", bad)
		}
	}
	if ImageArch("t4g.small") != "arm64" || ImageArch("g4dn.xlarge") != "x86_64" {
		t.Error("ImageArch")
	}
}
