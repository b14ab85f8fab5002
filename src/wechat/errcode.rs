//! WeChat's error codes: the ones wxsync acts on or explains, by number.

/// The error codes wxsync acts on or explains. Anything else is [`ErrCode::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrCode {
    SystemError,
    InvalidCredential,
    InvalidArgument,
    InvalidMediaType,
    InvalidFileType,
    InvalidFileSize,
    InvalidMediaId,
    InvalidImageSize,
    InvalidThumbSize,
    InvalidAppId,
    InvalidAccessToken,
    UnsupportedFileType,
    InvalidIndex,
    InvalidAppSecret,
    IpNotWhitelisted,
    AppSecretFrozen,
    AccessTokenMissing,
    AppIdMissing,
    AppSecretMissing,
    MediaDataMissing,
    InvalidContentSourceUrl,
    AccessTokenExpired,
    RequirePost,
    RequireHttps,
    EmptyPostData,
    EmptyNewsData,
    MediaSizeOutOfLimit,
    ContentSizeOutOfLimit,
    TitleSizeOutOfLimit,
    DescriptionSizeOutOfLimit,
    ArticleCountOutOfLimit,
    DailyQuota,
    MinuteQuota,
    AuthorSizeOutOfLimit,
    InvalidContent,
    DataFormatError,
    ApiUnauthorized,
    ApiForbidden,
    UserLimited,
    TokenApiForbidden,
    AccountFrozen,
    CommerceRestricted,
    BadProductInfo,
    CommerceNotEnabled,
    NoCommentPrivilege,
    AdminConfirmationPending,
    IpRejected24h,
    IpRejected1h,
    Other(i64),
}

pub(super) const CODES: &[(i64, ErrCode)] = &[
    (-1, ErrCode::SystemError),
    (40001, ErrCode::InvalidCredential),
    (40002, ErrCode::InvalidArgument),
    (40004, ErrCode::InvalidMediaType),
    (40005, ErrCode::InvalidFileType),
    (40006, ErrCode::InvalidFileSize),
    (40007, ErrCode::InvalidMediaId),
    (40009, ErrCode::InvalidImageSize),
    (40012, ErrCode::InvalidThumbSize),
    (40013, ErrCode::InvalidAppId),
    (40014, ErrCode::InvalidAccessToken),
    (40113, ErrCode::UnsupportedFileType),
    (40114, ErrCode::InvalidIndex),
    (40125, ErrCode::InvalidAppSecret),
    (40164, ErrCode::IpNotWhitelisted),
    (40243, ErrCode::AppSecretFrozen),
    (41001, ErrCode::AccessTokenMissing),
    (41002, ErrCode::AppIdMissing),
    (41004, ErrCode::AppSecretMissing),
    (41005, ErrCode::MediaDataMissing),
    (41039, ErrCode::InvalidContentSourceUrl),
    (42001, ErrCode::AccessTokenExpired),
    (43002, ErrCode::RequirePost),
    (43003, ErrCode::RequireHttps),
    (44002, ErrCode::EmptyPostData),
    (44003, ErrCode::EmptyNewsData),
    (45001, ErrCode::MediaSizeOutOfLimit),
    (45002, ErrCode::ContentSizeOutOfLimit),
    (45003, ErrCode::TitleSizeOutOfLimit),
    (45004, ErrCode::DescriptionSizeOutOfLimit),
    (45008, ErrCode::ArticleCountOutOfLimit),
    (45009, ErrCode::DailyQuota),
    (45011, ErrCode::MinuteQuota),
    (45110, ErrCode::AuthorSizeOutOfLimit),
    (45166, ErrCode::InvalidContent),
    (47001, ErrCode::DataFormatError),
    (48001, ErrCode::ApiUnauthorized),
    (48004, ErrCode::ApiForbidden),
    (50002, ErrCode::UserLimited),
    (50004, ErrCode::TokenApiForbidden),
    (50007, ErrCode::AccountFrozen),
    (53404, ErrCode::CommerceRestricted),
    (53405, ErrCode::BadProductInfo),
    (53406, ErrCode::CommerceNotEnabled),
    (88000, ErrCode::NoCommentPrivilege),
    (89503, ErrCode::AdminConfirmationPending),
    (89506, ErrCode::IpRejected24h),
    (89507, ErrCode::IpRejected1h),
];

impl ErrCode {
    pub fn from_code(code: i64) -> ErrCode {
        CODES
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(ErrCode::Other(code), |(_, e)| *e)
    }

    pub fn code(self) -> i64 {
        match self {
            ErrCode::Other(c) => c,
            known => CODES
                .iter()
                .find(|(_, e)| *e == known)
                .map_or(0, |(c, _)| *c),
        }
    }

    /// The token was rejected: invalidate it (if it is still the cached one) and try once more.
    pub fn is_token_error(self) -> bool {
        matches!(
            self,
            ErrCode::InvalidCredential | ErrCode::InvalidAccessToken | ErrCode::AccessTokenExpired
        )
    }
}
