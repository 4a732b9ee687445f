"""moto_server with three fixes to moto 5.2.1 that the lifecycle and leftovers tests need.

1. The CloudFormation deletes that moto lacks for a VPC's parts.

moto deletes a stack's resources by calling each model's delete(); the models below
have none, so moto drops them from the stack without removing them from EC2, and the
VPC's deletion then fails with DependencyViolation (a second route table, an attached
internet gateway). AWS CloudFormation deletes each of them (the resource reference:
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-vpcgatewayattachment.html
and siblings). Each method below does what the matching EC2 API does, in moto's own
backend calls, as a moto pull request would; moto retries a delete that raises
DependencyViolation until nothing moves, so the order is moto's usual one.

2. CloudFront's invalidation status: moto answers "COMPLETED"; AWS answers "Completed"
(https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_Invalidation.html), and
the InvalidationCompleted waiter that BucketDeployment's handler uses matches exactly
that, so against unpatched moto it polls for 13 minutes and fails.

3. A deleted stack comes back to life: moto builds a stack's outputs and resource list
lazily from the template, so DescribeStacks or ListStackResources on a deleted stack
(by its ID; AWS keeps deleted stacks for 90 days) creates its resources again (a deleted
DynamoDB table reappears). The patch keeps what the stack had when it was deleted, as
AWS answers for a deleted stack.
"""
import sys

from moto.cloudformation.models import Stack
from moto.cloudformation.parsing import ResourceMap
from moto.batch.models import ComputeEnvironment, JobQueue
from moto.cloudfront.models import Invalidation
from moto.iam.models import iam_backends
from moto.ec2.models import ec2_backends
from moto.ec2.models.instances import Instance
from moto.ecs.models import Cluster
from moto.ec2.models.internet_gateways import InternetGateway
from moto.ec2.models.route_tables import RouteTable
from moto.ec2.models.subnets import SubnetRouteTableAssociation
from moto.ec2.models.vpn_gateway import VPCGatewayAttachment


def _ec2(account_id, region_name):
    return ec2_backends[account_id][region_name]


def _delete_association(self, account_id, region_name):
    # ec2:DisassociateRouteTable; moto's model keeps no association id, find it.
    # A deleted subnet takes its association along: then there is nothing to do.
    backend = _ec2(account_id, region_name)
    table = backend.route_tables.get(self.route_table_id)
    if table is None:
        return
    for association_id, subnet_id in list(table._associations.items()):
        if subnet_id == self.subnet_id:
            backend.disassociate_route_table(association_id)


def _delete_route_table(self, account_id, region_name):
    backend = _ec2(account_id, region_name)
    if self.id in backend.route_tables:  # DeleteVpc removes the last one itself
        backend.delete_route_table(self.id)  # ec2:DeleteRouteTable


def _delete_internet_gateway(self, account_id, region_name):
    _ec2(account_id, region_name).delete_internet_gateway(self.id)  # ec2:DeleteInternetGateway


def _delete_gateway_attachment(self, account_id, region_name):
    # ec2:DetachInternetGateway (a VPN gateway attachment is not used by this project)
    if self.gateway_id and self.gateway_id.startswith("igw-"):
        _ec2(account_id, region_name).detach_internet_gateway(self.gateway_id, self.vpc_id)


for cls, method in [
    (SubnetRouteTableAssociation, _delete_association),
    (RouteTable, _delete_route_table),
    (InternetGateway, _delete_internet_gateway),
    (VPCGatewayAttachment, _delete_gateway_attachment),
]:
    assert not hasattr(cls, "delete"), f"moto now has {cls.__name__}.delete: drop this patch"
    cls.delete = method

_invalidation_init = Invalidation.__init__


def _invalidation_init_completed(self, *args, **kwargs):
    _invalidation_init(self, *args, **kwargs)
    assert self.status == "COMPLETED", "moto's invalidation status changed: review this patch"
    self.status = "Completed"


Invalidation.__init__ = _invalidation_init_completed

_stack_delete = Stack.delete
_stack_outputs = Stack.outputs
_stack_resources = Stack.stack_resources


def _delete_keeping_record(self):
    outputs = _stack_outputs.fget(self)
    resources = list(_stack_resources.fget(self))
    _stack_delete(self)
    self._deleted_outputs, self._deleted_resources = outputs, resources


Stack.delete = _delete_keeping_record
Stack.outputs = property(lambda self: self.__dict__["_deleted_outputs"] if "_deleted_resources" in self.__dict__ else _stack_outputs.fget(self))
Stack.stack_resources = property(lambda self: self.__dict__["_deleted_resources"] if "_deleted_resources" in self.__dict__ else _stack_resources.fget(self))

_cluster_init = Cluster.__init__


def _cluster_init_tags(self, *args, **kwargs):
    _cluster_init(self, *args, **kwargs)
    if self.tags is None:
        self.tags = []


Cluster.__init__ = _cluster_init_tags

_load_parameters = ResourceMap.load_parameters


def _load_parameters_given_first(self):
    slots = self._template.get("Parameters", {})
    defaults = {k: slots[k].pop("Default") for k in self.input_parameters if k in slots and "Default" in slots[k]}
    try:
        _load_parameters(self)
    finally:
        for k, v in defaults.items():
            slots[k]["Default"] = v


ResourceMap.load_parameters = _load_parameters_given_first

_add_block_device = Instance.add_block_device


def _add_block_device_image_size(self, size, device_path, snapshot_id, *args, **kwargs):
    if size is None and snapshot_id is None:
        size = 8
    return _add_block_device(self, size, device_path, snapshot_id, *args, **kwargs)


Instance.add_block_device = _add_block_device_image_size

_ce_from_cfn = ComputeEnvironment.create_from_cloudformation_json.__func__


def _ce_from_cfn_service_linked(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    props = dict(cloudformation_json.get("Properties", {}))
    if isinstance(props.get("Type"), str):
        props["Type"] = props["Type"].upper()
    cloudformation_json = dict(cloudformation_json, Properties=props)
    if "ServiceRole" not in props:
        iam = iam_backends[account_id]["aws"]
        try:
            role = iam.get_role("AWSServiceRoleForBatch")
        except Exception:
            role = iam.create_service_linked_role("batch.amazonaws.com", "", "")
        cloudformation_json = dict(cloudformation_json, Properties=dict(props, ServiceRole=role.arn))
    return _ce_from_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


ComputeEnvironment.create_from_cloudformation_json = classmethod(_ce_from_cfn_service_linked)


def _batch_get_att(attribute):
    def get_cfn_attribute(self, name):
        if name == attribute:
            return self.arn
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()

    return get_cfn_attribute


for cls, attribute in [(ComputeEnvironment, "ComputeEnvironmentArn"), (JobQueue, "JobQueueArn")]:
    assert "get_cfn_attribute" not in cls.__dict__, f"moto now has {cls.__name__}.get_cfn_attribute: drop this patch"
    cls.get_cfn_attribute = _batch_get_att(attribute)

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
