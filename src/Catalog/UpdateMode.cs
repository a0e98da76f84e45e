namespace Mtl;

/// <summary>How shared and task parameters are updated (<c>update</c> in <c>train { }</c>).</summary>
public enum UpdateMode
{
    /// <summary>One step updates all parameters.</summary>
    Joint,

    /// <summary>Per batch: the shared parameters are stepped with the heads fixed, then the heads with the shared fixed.</summary>
    Alternate,
}
