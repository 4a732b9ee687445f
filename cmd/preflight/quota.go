package main

import (
	"fmt"
	"strings"
	"unicode"
)

// quotaClass is one of EC2's vCPU-based instance quotas. EC2 counts running vCPUs per
// class of instance families, separately for on-demand and spot.
type quotaClass struct {
	name     string   // how EC2 names the class in its quota names
	prefixes []string // family prefixes (letters before the generation digit)
	onDemand string   // quota code of "Running On-Demand <name> instances"
	spot     string   // quota code of "All <name> Spot Instance Requests"
}

// quotaClasses are the classes a learner can reach with our hands-ons. Codes from the
// Service Quotas console (service code "ec2"); they are the same in every region.
var quotaClasses = []quotaClass{
	{"Standard (A, C, D, H, I, M, R, T, Z)", []string{"a", "c", "d", "h", "i", "m", "r", "t", "z"}, "L-1216C47A", "L-34B43A08"},
	{"G and VT", []string{"g", "vt"}, "L-DB2E81BA", "L-3819A6DF"},
	{"P", []string{"p"}, "L-417A185B", "L-7212CCBC"},
	{"Inf", []string{"inf"}, "L-1945791B", "L-B5D1601B"},
	{"Trn", []string{"trn"}, "L-2C3B7624", "L-6B0D517C"},
}

// quotaFor finds the quota that limits an instance type: "g4dn.xlarge" → G and VT.
func quotaFor(instanceType string, spot bool) (class quotaClass, code string, err error) {
	family, _, ok := strings.Cut(instanceType, ".")
	if !ok || family == "" {
		return quotaClass{}, "", fmt.Errorf("%q is not an instance type (family.size, e.g. g4dn.xlarge)", instanceType)
	}
	prefix := firstLetters(family)
	for _, c := range quotaClasses {
		for _, p := range c.prefixes {
			if p == prefix {
				if spot {
					return c, c.spot, nil
				}
				return c, c.onDemand, nil
			}
		}
	}
	return quotaClass{}, "", fmt.Errorf("preflight does not know which quota limits %s instances; look for %q in the Service Quotas console (EC2)", family, strings.ToUpper(prefix))
}

// firstLetters returns the letters before the first digit: "g4dn" → "g", "inf2" → "inf".
func firstLetters(family string) string {
	for i, r := range family {
		if unicode.IsDigit(r) {
			return family[:i]
		}
	}
	return family
}

// sameClass reports whether a running instance type counts against class.
func sameClass(instanceType string, class quotaClass) bool {
	c, _, err := quotaFor(instanceType, false)
	return err == nil && c.onDemand == class.onDemand
}
