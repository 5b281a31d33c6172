import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { Network } from '../constructs/network';
import { ServiceStack, type ServiceStackProps } from './service-stack';

export type NetworkStackProps = Omit<ServiceStackProps, 'service' | 'stateful'>;

/** `<env>-network-<region>`: the region's VPC, which every other regional stack builds on. */
export class NetworkStack extends ServiceStack {
  /** The region's VPC. */
  public readonly vpc: ec2.IVpc;
  /** Subnets for load balancers. */
  public readonly publicSubnets: ec2.SubnetSelection;
  /** Private subnets with NAT egress, for the application instances. */
  public readonly appSubnets: ec2.SubnetSelection;
  /** Isolated subnets, for the database. */
  public readonly dataSubnets: ec2.SubnetSelection;

  constructor(scope: Construct, props: NetworkStackProps) {
    // Every other stack of the region sits in this VPC: protect it like the stateful stacks.
    super(scope, { ...props, service: 'network', stateful: true });
    const region = this.config.regions[props.region];
    const network = new Network(this, 'Network', {
      cidr: region.vpcCidr,
      availabilityZones: region.availabilityZones,
      natGateways: region.natGateways,
      flowLogRetention: this.config.logRetentionDays,
      flowLogGroupName: this.names.name('logGroup', 'flow-logs'),
      removalPolicy: this.statefulRemovalPolicy,
      namePrefix: this.names.name('nameTag'),
    });
    this.vpc = network.vpc;
    this.publicSubnets = network.publicSubnets;
    this.appSubnets = network.appSubnets;
    this.dataSubnets = network.dataSubnets;
  }
}
