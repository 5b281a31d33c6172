import type { Template } from 'aws-cdk-lib/assertions';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

/** A subnet as the template declares it, with what its route table sends where. */
export interface SubnetView {
  readonly id: string;
  readonly type: 'Public' | 'Private' | 'Isolated';
  readonly availabilityZone: string;
  readonly routeTableId: string;
  /** The routes of the subnet's route table: destination and target logical id. */
  readonly routes: Array<{ destination: string; natGatewayId?: string; gatewayId?: string }>;
}

const ref = (value: unknown): string | undefined => (value as { Ref?: string } | undefined)?.Ref;

/** The VPC's subnets and NAT gateways, read from a template. */
export function vpcView(template: Template): { subnets: SubnetView[]; natGateways: Array<{ id: string; subnetId: string }> } {
  const resources = template.toJSON().Resources as Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const associations = ofType('AWS::EC2::SubnetRouteTableAssociation');
  const routes = ofType('AWS::EC2::Route');

  const subnets = ofType('AWS::EC2::Subnet').map(([id, subnet]): SubnetView => {
    const tags: Array<{ Key: string; Value: string }> = subnet.Properties.Tags ?? [];
    const routeTableId = ref(associations.find(([, a]) => ref(a.Properties.SubnetId) === id)?.[1].Properties.RouteTableId);
    if (!routeTableId) throw new Error(`subnet ${id} has no route table`);
    return {
      id,
      type: tags.find((t) => t.Key === 'aws-cdk:subnet-type')?.Value as SubnetView['type'],
      availabilityZone: subnet.Properties.AvailabilityZone,
      routeTableId,
      routes: routes
        .filter(([, r]) => ref(r.Properties.RouteTableId) === routeTableId)
        .map(([, r]) => ({
          destination: r.Properties.DestinationCidrBlock ?? r.Properties.DestinationIpv6CidrBlock,
          natGatewayId: ref(r.Properties.NatGatewayId),
          gatewayId: ref(r.Properties.GatewayId),
        })),
    };
  });
  const natGateways = ofType('AWS::EC2::NatGateway').map(([id, nat]) => ({ id, subnetId: ref(nat.Properties.SubnetId)! }));
  return { subnets, natGateways };
}
