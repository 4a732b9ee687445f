package main

// preflight under every fault scenario that applies (internal/testenv/scenarios.go):
// EC2 (moto) and Service Quotas (the fake) behind the fault layer give the same answer.

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

func TestFaultsPreflight(t *testing.T) {
	for _, sc := range testenv.TransientScenarios("ec2", "servicequotas") {
		t.Run(sc.Name, func(t *testing.T) {
			fake := setup(t, gQuotas)
			quotas := httptest.NewServer(fake)
			t.Cleanup(quotas.Close)
			ec2Faults := testenv.StartFaults(t, moto.Endpoint, sc)
			quotaFaults := testenv.StartFaults(t, quotas.URL, sc)
			t.Setenv("AWS_ENDPOINT_URL", ec2Faults.URL)
			t.Setenv("AWS_ENDPOINT_URL_SERVICE_QUOTAS", quotaFaults.URL)
			code, out, errOut := runPreflight(t, "Ec2ForDl")
			if code != exitOK || errOut != "" {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			oneLine(t, "stdout", out, "ok: Ec2ForDl can start 1 × on-demand g4dn.xlarge (4 vCPUs) in ap-northeast-1a",
				`"Running On-Demand G and VT instances" (L-DB2E81BA) allows 8 vCPUs, 0 in use`)
			if got := strings.Join(fake.asked, ","); got != "GetServiceQuota L-DB2E81BA" {
				t.Errorf("asked %s, want the on-demand G quota once", got)
			}
			if ec2Faults.Total()+quotaFaults.Total() == 0 {
				t.Errorf("scenario %s injected nothing", sc.Name)
			}
			t.Logf("FAULTS client=%-28s scenario=%-20s injected=%-3d %s | %s", "preflight Ec2ForDl", sc.Name,
				ec2Faults.Total()+quotaFaults.Total(), ec2Faults.Summary(), quotaFaults.Summary())
		})
	}
}
