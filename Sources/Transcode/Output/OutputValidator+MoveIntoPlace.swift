extension OutputValidator {
    /// Verifies a finished file written under its temporary name, and only then renames it to
    /// `finalPath`: a reader never sees an output that has not passed.
    func moveIntoPlaceIfValid(as finalPath: String) throws -> ValidationReport {
        let report = validate()
        guard report.passed else {
            let what = profile == .xUpload ? "the render breaks X's rules" : "the output is not sound"
            throw TranscodeError(.verification, file: displayName, "\(what): \(report.failures.map(\.summary).joined(separator: "; "))")
        }
        try DurableFile.moveIntoPlace(temporary: path, as: finalPath)
        return report
    }
}
