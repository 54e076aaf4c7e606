using System.Text.Json;
using System.Text.Json.Serialization;
using Meshwork.Config.Binding;
using Meshwork.Config.Resources;

namespace Meshwork.Config.Serialization;

/// <summary>
/// Writes config records as Istio-style JSON (lowerCamelCase fields, enum names, Go durations,
/// unset fields left out), for debug endpoints and dumps.
/// </summary>
public static class ConfigJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>A resource as a Kubernetes-style object, with where it came from.</summary>
    public static object Describe(ConfigResource resource) => new
    {
        apiVersion = resource.ApiVersion,
        kind = resource.Kind.Kind,
        metadata = new { name = resource.Name, @namespace = resource.Namespace, labels = resource.Metadata.Labels, annotations = resource.Metadata.Annotations },
        spec = resource.Spec,
        source = resource.Source.ToString(),
    };

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DictionaryKeyPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = true,
        };
        // Unset lists and maps are left out, as protojson leaves out empty repeated fields.
        options.TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver
        {
            Modifiers = { SkipEmptyCollections },
        };
        options.Converters.Add(new DurationConverter());
        options.Converters.Add(new WireEnumConverterFactory());
        options.Converters.Add(new RawValueConverter());
        options.MakeReadOnly();
        return options;
    }

    private static void SkipEmptyCollections(System.Text.Json.Serialization.Metadata.JsonTypeInfo info)
    {
        foreach (var property in info.Properties)
        {
            var type = property.PropertyType;
            if (type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Values.ValueList<>) || type.GetGenericTypeDefinition() == typeof(Values.ValueMap<,>)))
            {
                property.ShouldSerialize = (_, value) => value is System.Collections.ICollection { Count: > 0 } || (value is System.Collections.IEnumerable e && e.GetEnumerator().MoveNext());
            }
        }
    }

    private sealed class DurationConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            GoDuration.TryParse(reader.GetString() ?? string.Empty, out var value) ? value : throw new JsonException("invalid duration");

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) => writer.WriteStringValue(GoDuration.Format(value));
    }

    private sealed class WireEnumConverterFactory : JsonConverterFactory
    {
        public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

        public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(WireEnumConverter<>).MakeGenericType(typeToConvert))!;
    }

    private sealed class WireEnumConverter<TEnum> : JsonConverter<TEnum>
        where TEnum : struct, Enum
    {
        public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var name = reader.GetString();
            return Enum.GetValues<TEnum>().First(v => WireNames.Of(v) == name);
        }

        public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options) => writer.WriteStringValue(WireNames.Of(value));
    }

    private sealed class RawValueConverter : JsonConverter<RawValue>
    {
        public override RawValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException();

        public override void Write(Utf8JsonWriter writer, RawValue value, JsonSerializerOptions options) => writer.WriteNullValue();
    }
}
