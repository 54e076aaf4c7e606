using Meshwork.Pilot.Generators;
using Meshwork.Pilot.Generators.Clusters;
using Meshwork.Pilot.Generators.Endpoints;

namespace Meshwork.Meshd.Discovery;

/// <summary>The xDS generators meshd serves, one per type.</summary>
public static class Generators
{
    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<IResourceGenerator, ClusterGenerator>();
        services.AddSingleton<IResourceGenerator, EndpointGenerator>();
    }
}
