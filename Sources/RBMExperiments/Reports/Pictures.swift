import RBM
import RBMStore
import RBMSystem
#if canImport(Glibc)
import Glibc
#endif

/// Pictures of a model: filters, reconstructions, samples.
public enum Pictures {
    /// The tile shape for vectors of `featureCount` values: the data's image shape when it has
    /// one, else the most square rows × columns ≥ featureCount (the last tile row padded).
    public static func tileShape(featureCount: Int, imageShape: (rows: Int, columns: Int)?) -> (rows: Int, columns: Int) {
        if let imageShape, imageShape.rows * imageShape.columns == featureCount { return imageShape }
        var columns = 1
        while columns * columns < featureCount { columns += 1 }
        return ((featureCount + columns - 1) / columns, columns)
    }

    public enum Scaling: Sendable {
        /// Each tile stretched from its own minimum (black) to maximum (white).
        case perTile
        /// Values in [0, 1] as they are (probabilities, pixels).
        case unit
    }

    /// Lays `vectors` out as tiles of `shape`, `gridColumns` to a row, with a 1-pixel gray border.
    public static func tiled(_ vectors: [[Float]], shape: (rows: Int, columns: Int), gridColumns: Int,
                             scaling: Scaling) -> GrayImage {
        let gridRows = max(1, (vectors.count + gridColumns - 1) / gridColumns)
        let border = 1
        var image = GrayImage(width: gridColumns * (shape.columns + border) + border,
                              height: gridRows * (shape.rows + border) + border, fill: 128)
        for (index, vector) in vectors.enumerated() {
            let left = border + (index % gridColumns) * (shape.columns + border)
            let top = border + (index / gridColumns) * (shape.rows + border)
            var low: Float = 0, high: Float = 1
            if case .perTile = scaling, let minimum = vector.min(), let maximum = vector.max() {
                low = minimum
                high = maximum > minimum ? maximum : minimum + 1
            }
            for row in 0..<shape.rows {
                for column in 0..<shape.columns {
                    let index = row * shape.columns + column
                    let value = index < vector.count ? (vector[index] - low) / (high - low) : 0
                    image[left + column, top + row] = UInt8((min(max(value, 0), 1) * 255).rounded())
                }
            }
        }
        return image
    }

    /// Each hidden unit's weights W[:, j] as a tile, contrast-normalised per tile.
    public static func filters(model: RBMModel, shape: (rows: Int, columns: Int), maximumUnits: Int = 256) -> GrayImage {
        let count = min(model.hiddenCount, maximumUnits)
        let vectors = (0..<count).map { j in
            display((0..<model.visibleCount).map { i in model.weights[i * model.hiddenCount + j] }, model.visibleUnits)
        }
        var columns = 1
        while columns * columns < count { columns += 1 }
        return tiled(vectors, shape: shape, gridColumns: columns, scaling: .perTile)
    }

    /// Images (top row of each pair) above their one-step mean-field reconstructions
    /// σ(b + W·σ(c + Wᵀv)), `columns` to a row.
    public static func reconstructions(model: RBMModel, images: [Float], count: Int,
                                       shape: (rows: Int, columns: Int), columns: Int = 10,
                                       standardization: Standardization? = nil) -> GrayImage {
        let hidden = model.hiddenProbabilities(visible: images, rows: count)
        let reconstructed = model.visibleProbabilities(hidden: hidden, rows: count)
        let nv = model.visibleCount
        var vectors: [[Float]] = []
        for pairRow in stride(from: 0, to: count, by: columns) {
            let indices = pairRow..<min(count, pairRow + columns)
            let originals = indices.map { display(Array(images[($0 * nv)..<(($0 + 1) * nv)]), model.visibleUnits, standardization) }
            let copies = indices.map { display(Array(reconstructed[($0 * nv)..<(($0 + 1) * nv)]), model.visibleUnits, standardization) }
            let blank = [[Float]](repeating: [], count: columns - indices.count)
            vectors += originals + blank + copies + blank
        }
        return tiled(vectors, shape: shape, gridColumns: columns, scaling: .unit)
    }

    /// P(v|h) of chains after `steps` Gibbs steps, as tiles.
    public static func samples(model: RBMModel, start: [Float], count: Int, steps: Int, seed: UInt64,
                               shape: (rows: Int, columns: Int), workers: Int,
                               standardization: Standardization? = nil) -> GrayImage {
        let values = GibbsSampler.visibleProbabilities(model: model, start: start, rows: count, steps: steps,
                                                       seed: seed, workers: workers)
        let nv = model.visibleCount
        let vectors = (0..<count).map { display(Array(values[($0 * nv)..<(($0 + 1) * nv)]), model.visibleUnits, standardization) }
        var columns = 1
        while columns * columns < count { columns += 1 }
        return tiled(vectors, shape: shape, gridColumns: columns, scaling: scaling(model.visibleUnits, standardization))
    }

    /// One value per visible variable to draw: the vector itself (standardised values mapped
    /// back, x = v·std + mean, when the standardisation is known), or for categorical units the
    /// expected level Σ_a a·v_a / (q − 1) of each group (its states weighted by the values).
    public static func display(_ vector: [Float], _ units: VisibleUnits, _ standardization: Standardization? = nil) -> [Float] {
        if let standardization, standardization.mean.count == vector.count {
            return vector.indices.map { vector[$0] * standardization.standardDeviation[$0] + standardization.mean[$0] }
        }
        return units.displayValues(vector)
    }

    /// Gaussian units' standardised values have no fixed range: each tile is scaled to its own,
    /// unless they were mapped back to the data's own range.
    static func scaling(_ units: VisibleUnits, _ standardization: Standardization? = nil) -> Scaling {
        units.scalesEachTile(mappedBack: standardization != nil) ? .perTile : .unit
    }

    /// Values drawn per picture: the visible units, or the variables of categorical units.
    public static func variables(_ model: RBMModel) -> Int {
        model.visibleUnits.variableCount(visibleCount: model.visibleCount)
    }
}
