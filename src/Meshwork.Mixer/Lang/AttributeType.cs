// istio.policy.v1beta1.ValueType is Config's AttributeValueType (what an attribute manifest's valueType
// reads into); the expression language types its attributes and expressions with the same enum.
global using AttributeType = Meshwork.Config.Mixer.AttributeValueType;

namespace Meshwork.Mixer.Lang;

/// <summary>Istio's spellings of <see cref="AttributeType"/>, for type errors.</summary>
public static class AttributeTypes
{
    public static string Name(AttributeType type) => type switch
    {
        AttributeType.String => "STRING",
        AttributeType.Int64 => "INT64",
        AttributeType.Double => "DOUBLE",
        AttributeType.Bool => "BOOL",
        AttributeType.Timestamp => "TIMESTAMP",
        AttributeType.IpAddress => "IP_ADDRESS",
        AttributeType.EmailAddress => "EMAIL_ADDRESS",
        AttributeType.Uri => "URI",
        AttributeType.DnsName => "DNS_NAME",
        AttributeType.Duration => "DURATION",
        AttributeType.StringMap => "STRING_MAP",
        _ => "VALUE_TYPE_UNSPECIFIED",
    };
}
